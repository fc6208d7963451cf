"""Defaults that carry the benchmarks (issues 15 and 27): what the constructors give, measured.

One script for the held-out evidence behind the default changes and for the figures the
defaults must reach, each with the DEFAULT constructor (every parameter not named below at its
default). ``--part`` picks what runs (several may be given); ``--quick`` shrinks every part.

Issue 27, the four "done when" figures (test parts; nothing was tuned on them):

- ``classifier``: ``StackedAutoencoderClassifier(hidden_layer_sizes=(500, 500),
  random_state=0)`` on 20,000 MNIST training images (a random draw, seed 0), 1,000 of them
  labelled (100 a class), the rest ``y == -1``, against ``MLPClassifier((500, 500))`` fitted
  on the 1,000 labelled images alone, and ``LabelSpreading`` (7-nearest-neighbour graph on 50
  PCA components of all the training images), as ``bench_semisupervised.py`` sets them up;
  test accuracy on the 10,000 MNIST test images. The bar: at least 90% and at least one point
  above the MLP. Beside it the same on Fashion-MNIST (10,000 training images, 1,000 labels),
  where the bar is to beat the MLP and LabelSpreading. (``--quick``: 5,000 images, 500
  labels, both data sets.)
- ``imputer``: ``AutoencoderImputer(random_state=0)`` fitted on the training part of
  ``bench_impute.py``'s MNIST split (70% of ``--n-mnist`` images, 10,000 by default) with 20%
  of the pixels missing completely at random, then filling in a random 12x12 block of each
  test image; RMSE of the block in pixel units against ``KNNImputer()`` and the mean, fitted
  alike, and the imputer with the narrow settings (``hidden_layer_sizes=(256,),
  hide_groups=0, learning_rate_init=3e-3``: its defaults before its ``"auto"`` settings made
  them depend on the number of features). The bar: below KNNImputer. ``--imputer-data
  fashion`` repeats it on Fashion-MNIST's training images. (``--quick``: 3,000 images.)
- ``sparse``: ``SparseAutoencoder(n_components=k, activation="sigmoid")`` against
  ``Autoencoder(n_components=k, activation="sigmoid")`` on the digits (``load_digits().data /
  16``, 70/30 split, ``random_state=0``), for k = 32, 64, 256 and the installed default k:
  held-out mean ``|h|`` ratio (bar: at most 0.8) and reconstruction-error ratio (bar: under 2).
  ``--sparse-data fashion`` repeats it on Fashion-MNIST (5,000 training images fitted, 2,000
  test images measured), data the default was not chosen on.
- ``mdacf``: ``MDACFRegressor(random_state=0)`` with the user and item tables of
  ``bench_hybrid.py`` on MovieLens 100K, 20% of the users held out entirely (their ratings are
  the test ratings; only their demographics are known; seed 0, as ``bench_hybrid.py``),
  against each item's mean training rating. The bar: an RMSE no worse. The same fit's
  predictions with the former cold-start bias (projected from the autoencoder's
  representation) are printed beside it. ``--movielens 1m-partial`` repeats it on the first
  487,650 ratings of MovieLens 1M (users 1-2,999 and the ML-1M user and movie tables), data
  the cold-start default was not chosen on.

The evidence the defaults were chosen on (training data only; the rule written before the
results it was applied to):

- ``sparse-select``: KL weights for sigmoid codes on the digits split above and on MNIST
  training images (the first 5,000 fitted, training images 50,000-51,999 held out), with 8,
  32, 64 and 256 codes, ``max_iter=150``. Rule: the smallest weight whose held-out mean ``|h|`` is
  at most 0.8 times the plain sigmoid autoencoder's at under twice its error, at 32 and 64
  codes on both sets.
- ``mdacf-select``: the same protocol inside the training users (20% of them held out, seeds
  1, 2, 3): the cold-start bias projected from the representation (former) against the bias from
  the user features (the ridge of ``feature_bias``); the lower mean validation RMSE wins.
- the imputer's hiding patterns: ``bench_impute.py --select`` and ``--cross`` (training
  parts only for the former).

Issue 15 (``penalties``): SparseAutoencoder's and ContractiveAutoencoder's defaults against a
plain :class:`skae.Autoencoder` of the same architecture (one encoder layer, 32 codes, the
same code activation), trained with the same settings (``max_iter=150``, every other
parameter at its default) in the same run, and all figures measured on held-out images:

- ``MSE``: held-out reconstruction error (mean over pixels), and ``xMSE`` its ratio to the
  plain autoencoder's (the bar: at most 2);
- ``|h|``: mean absolute code, and ``/|h|`` how many times smaller it is than the plain one's;
- ``h=0``: share of codes exactly zero (ReLU codes only: a sigmoid is never 0);
- ``|J|``: mean Frobenius norm of the encoder's Jacobian, ``||J_f(x)||_F``, and ``/|J|`` how
  many times smaller it is than the plain one's (the squared norm, the penalised quantity,
  shrinks by the square of that factor);
- ``ep``: epochs run (the default ``tol`` stops most fits before 150), ``s``: fit seconds.

Data: scaled digits (as above: 1,257 training and 540 held-out images) and MNIST (``/ 255``;
the first ``--n-train`` training images and the first ``--n-test`` test images, 10,000 each by
default). The Jacobian is measured on the first 1,000 held-out images.

Usage (``SKAE_DATA`` names the data home holding ``mnist/`` and ``movielens/``)::

    SKAE_DATA=/path/to/data python benchmarks/bench_defaults.py          # the four figures
    SKAE_DATA=/path/to/data python benchmarks/bench_defaults.py --part sparse mdacf --quick
    SKAE_DATA=/path/to/data python benchmarks/bench_defaults.py --part sparse-select mdacf-select
    python benchmarks/bench_defaults.py --part penalties                 # issue 15, digits
    SKAE_DATA=/path/to/data python benchmarks/bench_defaults.py --part penalties --data digits mnist
    python benchmarks/bench_defaults.py --part penalties --seeds 0 1 2 3 4 --grid

One torch thread (``torch.set_num_threads(1)``), CPU.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import Autoencoder, ContractiveAutoencoder, SparseAutoencoder
from skae.nn import jacobian_frobenius_sq

OLD_DEFAULTS = {"contraction_weight": 0.1}  # before issue 15; sparsity_weight was and is 1e-3

# (label, class, parameters, label of the plain reference). "default" rows pass no penalty
# parameter at all, so they measure whatever the installed skae's defaults are.
DEFAULT_RUNS = [
    ("plain relu", Autoencoder, {}, None),
    ("plain sigmoid", Autoencoder, {"activation": "sigmoid"}, None),
    ("Sparse default", SparseAutoencoder, {}, "plain relu"),
    ("Sparse default, sigmoid codes", SparseAutoencoder, {"activation": "sigmoid"},
     "plain sigmoid"),
    ("Contractive default", ContractiveAutoencoder, {}, "plain sigmoid"),
    ("Contractive old default", ContractiveAutoencoder, OLD_DEFAULTS, "plain sigmoid"),
]
GRID_RUNS = (
    [(f"Sparse l1 relu w={w:g}", SparseAutoencoder, {"sparsity_weight": w}, "plain relu")
     for w in (3e-4, 1e-3, 1.25e-3, 1.5e-3, 2e-3, 3e-3, 1e-2)]
    + [(f"Sparse l1 sigmoid w={w:g}", SparseAutoencoder,
        {"activation": "sigmoid", "sparsity_weight": w}, "plain sigmoid")
       for w in (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)]
    + [(f"Sparse kl sigmoid w={w:g}", SparseAutoencoder,
        {"activation": "sigmoid", "sparsity": "kl", "sparsity_weight": w}, "plain sigmoid")
       for w in (1e-3, 1e-2, 1e-1, 1.0)]
    + [(f"Contractive w={w:g}", ContractiveAutoencoder, {"contraction_weight": w},
        "plain sigmoid")
       for w in (1e-3, 2e-3, 3e-3, 5e-3, 7e-3, 1e-2, 3e-2, 1e-1)]
    # Sigmoid codes at a 10x learning rate: the default weight then shows on small data too.
    + [("plain sigmoid lr=1e-2", Autoencoder,
        {"activation": "sigmoid", "learning_rate_init": 1e-2}, None)]
    + [(f"Sparse {kind} sigmoid lr=1e-2", SparseAutoencoder,
        {"activation": "sigmoid", "sparsity": kind, "learning_rate_init": 1e-2},
        "plain sigmoid lr=1e-2")
       for kind in ("l1", "kl")]
)


def load(name, n_train, n_test):
    if name == "digits":
        X = load_digits().data / 16.0
        return train_test_split(X, test_size=0.3, random_state=0)
    from skae.datasets import load_mnist

    X_train, _ = load_mnist(subset="train", return_X_y=True)
    X_test, _ = load_mnist(subset="test", return_X_y=True)
    return X_train[:n_train] / 255.0, X_test[:n_test] / 255.0


def measure(est, X_test):
    H = est.transform(X_test)
    x = torch.tensor(X_test[:1000], dtype=torch.float32)
    with torch.no_grad():
        jac = jacobian_frobenius_sq(est.module_.encode, x).sqrt().mean().item()
    return {
        "mse": float(-est.score_samples(X_test).astype(np.float64).mean()),
        "abs_h": float(np.abs(H).mean()),
        "zero": float(np.mean(H == 0)),
        "jac": jac,
        "epochs": est.n_iter_,
    }


def part_penalties(args):
    """Issue 15's table: each regularised default against the plain autoencoder."""
    runs = DEFAULT_RUNS + (GRID_RUNS if args.grid else [])
    print(f"{'data':7}{'k':>4}{'seed':>5}  {'model':32}{'MSE':>8}{'xMSE':>6}{'|h|':>7}"
          f"{'/|h|':>7}{'h=0':>6}{'|J|':>7}{'/|J|':>6}{'ep':>5}{'s':>6}")
    verdicts = []
    for data in args.data:
        X_train, X_test = load(data, args.n_train, args.n_test)
        for k in args.n_components:
            for seed in args.seeds:
                results = {}
                for label, cls, params, ref in runs:
                    est = cls(n_components=k, max_iter=args.max_iter, random_state=seed,
                              **params)
                    start = time.perf_counter()
                    est.fit(X_train)
                    seconds = time.perf_counter() - start
                    r = results[label] = measure(est, X_test)
                    p = results[ref] if ref else r
                    print(f"{data:7}{k:4d}{seed:5d}  {label:32}{r['mse']:8.4f}"
                          f"{r['mse'] / p['mse']:6.2f}{r['abs_h']:7.3f}"
                          f"{p['abs_h'] / r['abs_h']:7.2f}{r['zero']:6.2f}{r['jac']:7.3f}"
                          f"{p['jac'] / r['jac']:6.2f}{r['epochs']:5d}{seconds:6.1f}",
                          flush=True)
                plain_r, plain_s = results["plain relu"], results["plain sigmoid"]
                sparse, cae = results["Sparse default"], results["Contractive default"]
                verdicts.append(
                    (data, k, seed,
                     plain_r["abs_h"] / sparse["abs_h"],
                     sparse["zero"] / max(plain_r["zero"], 1e-12),
                     sparse["mse"] / plain_r["mse"],
                     plain_s["jac"] / cae["jac"],
                     cae["mse"] / plain_s["mse"]))
    print("\nDefaults against the plain autoencoder (times smaller / times as many / ratio):")
    print(f"{'data':7}{'k':>4}{'seed':>5}  {'Sparse /|h|':>12}{'xh=0':>6}{'xMSE':>6}"
          f"  {'Contractive /|J|':>17}{'xMSE':>6}")
    for data, k, seed, h, z, ms, j, mc in verdicts:
        print(f"{data:7}{k:4d}{seed:5d}  {h:12.2f}{z:6.2f}{ms:6.2f}  {j:17.2f}{mc:6.2f}")


# -- issue 27: the four figures with the default constructors --------------------------------
def part_classifier(args):
    """(a) The semi-supervised classifier's defaults against an MLP on the labels alone and
    LabelSpreading, on MNIST and Fashion-MNIST (the peers set up as in bench_semisupervised)."""
    from bench_semisupervised import draw_labels, fit_score, peers
    from bench_semisupervised import load as load_image_split
    from sklearn.decomposition import PCA

    from skae import StackedAutoencoderClassifier

    sizes = {"mnist": (5_000, 500) if args.quick else (20_000, 1_000),
             "fashion": (5_000, 500) if args.quick else (10_000, 1_000)}
    setup = argparse.Namespace(hidden=[500, 500], peers=["mlp", "spreading"])
    for dataset, (n_images, n_labels) in sizes.items():
        X, y, X_test, y_test = load_image_split(dataset, n_images, 10_000, 0)
        y_semi = draw_labels(y, n_labels, 0)
        pca = PCA(50, random_state=0).fit(X)
        codes = pca.transform(X), pca.transform(X_test)
        rows = [("StackedAutoencoderClassifier((500, 500)), defaults", *fit_score(
            StackedAutoencoderClassifier(hidden_layer_sizes=(500, 500), random_state=0),
            X, y_semi, X_test, y_test, False))]
        print(f"  {rows[-1][0]}: error {rows[-1][1]:.2f}% ({rows[-1][2]:.0f} s)", flush=True)
        for key, (name, features, model) in peers(setup, 0).items():
            on_codes = features == "codes"
            rows.append((name, *fit_score(model, codes[0] if on_codes else X, y_semi,
                                          codes[1] if on_codes else X_test, y_test,
                                          labelled_only=key == "mlp")))
            print(f"  {name}: error {rows[-1][1]:.2f}% ({rows[-1][2]:.0f} s)", flush=True)
        title = "MNIST" if dataset == "mnist" else "Fashion-MNIST"
        print(f"\n(a) {title}, {n_images:,} training images, {n_labels:,} labelled; test "
              "accuracy on the 10,000 test images")
        print("| model | accuracy | fit s |\n|---|---:|---:|")
        for name, err, sec in rows:
            print(f"| {name} | {1 - err / 100:.4f} | {sec:.0f} |")
        ours, mlp, spreading = (1 - r[1] / 100 for r in rows)
        gap = 100 * (ours - mlp)
        if dataset == "mnist":
            print(f"bar: accuracy >= 0.90 ({ours >= 0.90}) and >= 1 point above the MLP "
                  f"({gap:+.2f} points: {gap >= 1})", flush=True)
        else:
            print(f"bar: above the MLP ({gap:+.2f} points: {gap > 0}); above LabelSpreading "
                  f"({100 * (ours - spreading):+.2f} points: {ours > spreading})", flush=True)


def part_imputer(args):
    """(b) The imputer fitted on scattered holes (20% MCAR) fills 12x12 blocks."""
    for name in args.imputer_data:
        _imputer_blocks(args, name)


def _imputer_blocks(args, name):
    from bench_impute import block, error, mcar, split
    from bench_impute import load as load_impute
    from sklearn.impute import KNNImputer, SimpleImputer

    from skae import AutoencoderImputer

    n_images = 3_000 if args.quick else args.n_mnist
    X, y, _ = load_impute(name, n_images)
    X_tr, X_te, *_ = split(X, y)
    rng = np.random.default_rng(0)
    hid_tr, hid_te = mcar(X_tr.shape, 0.2, rng), block(X_te.shape, rng)
    rows = []
    for label, imputer in (("AutoencoderImputer(random_state=0)",
                            AutoencoderImputer(random_state=0)),
                           ("narrow settings (the defaults before; see the docstring)",
                            AutoencoderImputer(**NARROW_IMPUTER, random_state=0)),
                           ("KNNImputer()", KNNImputer()),
                           ("SimpleImputer(mean)", SimpleImputer())):
        start = time.perf_counter()
        imputer.fit(np.where(hid_tr, np.nan, X_tr))
        filled = imputer.transform(np.where(hid_te, np.nan, X_te))
        rows.append((label, error(filled, X_te, hid_te, np.ones(X.shape[1])),
                     time.perf_counter() - start))
        print(f"  {label}: block RMSE {rows[-1][1]:.4f} ({rows[-1][2]:.0f} s)", flush=True)
    print(f"\n(b) {IMAGE_NAMES[name]} ({len(X_tr):,} training images with 20% of the pixels "
          f"missing at random; a 12x12 block of each of {len(X_te):,} test images filled in)")
    print("| imputer | block RMSE (pixel units) | s |\n|---|---:|---:|")
    for label, err, sec in rows:
        print(f"| {label} | {err:.4f} | {sec:.0f} |")
    print(f"bar: below KNNImputer ({rows[0][1]:.4f} < {rows[2][1]:.4f}: "
          f"{rows[0][1] < rows[2][1]}; the narrow settings: {rows[1][1] < rows[2][1]})",
          flush=True)


def _digits_split():
    return train_test_split(load_digits().data / 16.0, test_size=0.3, random_state=0)


def _fashion_split():
    """Fashion-MNIST: the first 5,000 training images fitted, the first 2,000 test images
    held out (data the sparse default was not chosen on)."""
    from skae.datasets import load_fashion_mnist

    X_train, _ = load_fashion_mnist(subset="train", return_X_y=True)
    X_test, _ = load_fashion_mnist(subset="test", return_X_y=True)
    return X_train[:5_000] / 255.0, X_test[:2_000] / 255.0


SPARSE_DATA = {"digits": ("digits (1,257 training, 540 held-out images)", _digits_split),
               "fashion": ("Fashion-MNIST (5,000 training, 2,000 test images; not chosen on)",
                           _fashion_split)}


def part_sparse(args):
    """(c) Sigmoid codes with the default penalty against a plain sigmoid autoencoder, on
    each of ``--sparse-data``."""
    for name in args.sparse_data:
        _part_sparse(*SPARSE_DATA[name])


def _part_sparse(title, split):
    X_train, X_test = split()
    print(f"\n(c) {title}, sigmoid units, default "
          "penalty and engine settings; ratios to the plain Autoencoder of the same k")
    print("| k | sparsity (resolved) | weight | mean abs code (plain) | ratio | MSE ratio | bar |")
    print("|---|---|---:|---:|---:|---:|---|")
    default_k = SparseAutoencoder().get_params()["n_components"]
    for k in sorted({32, 64, 256, default_k}):
        plain = Autoencoder(n_components=k, activation="sigmoid", random_state=0).fit(X_train)
        sparse = SparseAutoencoder(n_components=k, activation="sigmoid",
                                   random_state=0).fit(X_train)
        p, q = measure(plain, X_test), measure(sparse, X_test)
        h, m = q["abs_h"] / p["abs_h"], q["mse"] / p["mse"]
        label = f"{k}{' (default)' if k == default_k else ''}"
        print(f"| {label} | {sparse._sparsity()} | {sparse._sparsity_weight():g} | "
              f"{q['abs_h']:.3f} ({p['abs_h']:.3f}) | {h:.2f} | {m:.2f} | "
              f"{h <= 0.8 and m < 2} |", flush=True)


def part_sparse_select(args):
    """The KL weight for sigmoid codes, on held-out training images (see the docstring)."""
    from skae.datasets import load_mnist

    X_mnist, _ = load_mnist(subset="train", return_X_y=True)
    sets = {"digits": _digits_split(),
            "mnist-train": (X_mnist[:5_000] / 255.0, X_mnist[50_000:52_000] / 255.0)}
    weights = (3e-3, 1e-2) if args.quick else (1e-3, 3e-3, 1e-2, 3e-2)
    print("\nKL weight for sigmoid codes (max_iter=150; ratios to the plain sigmoid "
          "autoencoder on held-out images; bar: |h| ratio <= 0.8 at MSE ratio < 2)")
    print("| set | k | weight | abs code ratio | MSE ratio | bar |\n|---|---:|---:|---:|---:|---|")
    for name, (X_fit, X_val) in sets.items():
        for k in (8, 32, 64, 256):
            plain = measure(Autoencoder(n_components=k, activation="sigmoid", max_iter=150,
                                        random_state=0).fit(X_fit), X_val)
            for w in weights:
                est = SparseAutoencoder(n_components=k, activation="sigmoid", sparsity="kl",
                                        sparsity_weight=w, max_iter=150, random_state=0)
                r = measure(est.fit(X_fit), X_val)
                h, m = r["abs_h"] / plain["abs_h"], r["mse"] / plain["mse"]
                print(f"| {name} | {k} | {w:g} | {h:.2f} | {m:.2f} | {h <= 0.8 and m < 2} |",
                      flush=True)


def _cold_users(held_out_seed, within_training, variant="100k"):
    """MovieLens ``variant`` with 20% of the users held out (seed 0, as bench_hybrid.py);
    within the training users, 20% of them held out again with ``held_out_seed``."""
    from bench_hybrid import side_tables

    from skae.datasets import load_movielens

    _, ux, ix, _ = side_tables(variant)
    ratings = load_movielens(variant)
    ids = np.unique(ratings["user"])
    cold = np.random.default_rng(0).choice(ids, size=len(ids) // 5, replace=False)
    is_cold = ratings["user"].isin(cold).to_numpy()
    train, test = ratings[~is_cold], ratings[is_cold]
    if within_training:
        ids = np.unique(train["user"])
        cold = np.random.default_rng(held_out_seed).choice(ids, size=len(ids) // 5,
                                                           replace=False)
        is_cold = train["user"].isin(cold).to_numpy()
        train, test = train[~is_cold], train[is_cold]
    return train, test, ux, ix


def part_mdacf(args, within_training=False, seed=1):
    """(d) Cold-start users: MDACFRegressor's defaults against the item means, on each of
    ``--movielens``."""
    for variant in args.movielens:
        _part_mdacf(variant, within_training, seed)


def _part_mdacf(variant, within_training, seed):
    from skae import MDACFRegressor

    train, test, ux, ix = _cold_users(seed, within_training, variant)
    y = test["rating"].to_numpy(float)
    rmse = lambda p: float(np.sqrt(np.mean((y - p) ** 2)))  # noqa: E731
    item_means = train.groupby("item")["rating"].mean()
    start = time.perf_counter()
    model = MDACFRegressor(random_state=0).fit(
        train[["user", "item"]].to_numpy(), train["rating"].to_numpy(float),
        user_features=ux, item_features=ix)
    seconds = time.perf_counter() - start
    pairs = test[["user", "item"]].to_numpy()
    rows = [("global mean", rmse(np.full(len(y), train["rating"].mean()))),
            ("item mean", rmse(test["item"].map(item_means)
                               .fillna(train["rating"].mean()).to_numpy())),
            (f"MDACFRegressor(random_state=0) ({seconds:.0f} s)", rmse(model.predict(pairs)))]
    # The same fit without the stacking weight, and with the former cold-start bias
    # (projected from the representation).
    side = model._user_side
    weight, side.model_weight = side.model_weight, 1.0
    rows.append(("the same, the model's whole say (weight 1)", rmse(model.predict(pairs))))
    side.model_weight = weight
    saved, side.bias_from_features = side.bias_from_features, None
    rows.append(("the same, bias projected from the representation (former)",
                 rmse(model.predict(pairs))))
    side.bias_from_features = saved
    rows[2] = (f"{rows[2][0]}, weight {weight:.2f}", rows[2][1])
    where = (f"20% of the training users held out (seed {seed}): validation" if within_training
             else "20% of the users held out (seed 0): test")
    print(f"\n(d) MovieLens {MOVIELENS[variant]} cold-start users, {where}; {len(y):,} "
          "ratings of "
          f"{test['user'].nunique()} users known only by their demographics")
    print("| model | RMSE |\n|---|---:|")
    for name, err in rows:
        print(f"| {name} | {err:.4f} |")
    print(f"bar: MDACF no worse than the item mean ({rows[2][1]:.4f} <= {rows[1][1]:.4f}: "
          f"{rows[2][1] <= rows[1][1]})", flush=True)


# What AutoencoderImputer's "auto" settings give data with fewer than 256 features: its
# defaults before issue 27 made them depend on the number of features.
NARROW_IMPUTER = dict(hidden_layer_sizes=(256,), hide_groups=0.0, learning_rate_init=3e-3)
IMAGE_NAMES = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}
MOVIELENS = {"100k": "100K", "1m-partial": "1M (its first 487,650 ratings: users 1-2,999)"}

PARTS = {
    "classifier": part_classifier,
    "imputer": part_imputer,
    "sparse": part_sparse,
    "mdacf": part_mdacf,
    "sparse-select": part_sparse_select,
    "mdacf-select": lambda args: [part_mdacf(args, within_training=True, seed=seed)
                                  for seed in args.mdacf_seeds],
    "penalties": part_penalties,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", nargs="+", default=["classifier", "imputer", "sparse", "mdacf"],
                        choices=list(PARTS))
    parser.add_argument("--quick", action="store_true", help="smaller data in every part")
    parser.add_argument("--n-mnist", type=int, default=10_000,
                        help="imputer: images of each data set (split 70/30)")
    parser.add_argument("--imputer-data", nargs="+", default=["mnist"],
                        choices=list(IMAGE_NAMES),
                        help="imputer: image sets (fashion: data the defaults were not "
                             "chosen on)")
    parser.add_argument("--mdacf-seeds", nargs="+", type=int, default=[1, 2, 3],
                        help="mdacf-select: seeds of the training users held out")
    parser.add_argument("--sparse-data", nargs="+", default=["digits"], choices=list(SPARSE_DATA),
                        help="sparse: data sets (fashion: data the default was not chosen on)")
    parser.add_argument("--movielens", nargs="+", default=["100k"], choices=list(MOVIELENS),
                        help="mdacf and mdacf-select: MovieLens variants (1m-partial: data the "
                             "defaults were not chosen on)")
    parser.add_argument("--data", nargs="+", default=["digits"], choices=["digits", "mnist"],
                        help="penalties: data sets")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="penalties: seeds")
    parser.add_argument("--n-components", nargs="+", type=int, default=[32],
                        help="penalties: code sizes")
    parser.add_argument("--max-iter", type=int, default=150, help="penalties: epochs")
    parser.add_argument("--n-train", type=int, default=10_000,
                        help="penalties: MNIST training images")
    parser.add_argument("--n-test", type=int, default=10_000,
                        help="penalties: MNIST held-out images")
    parser.add_argument("--grid", action="store_true", help="penalties: sweep the weights")
    args = parser.parse_args()

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for part in args.part:
        print(f"\n## {part}", flush=True)
        PARTS[part](args)


if __name__ == "__main__":
    main()
