"""Imputation: AutoencoderImputer against scikit-learn's imputers and published deep imputers.

Data: the data sets that ship with scikit-learn (breast_cancer, wine, diabetes, digits) and
10,000 MNIST training images (from the data home). Each is split once, 70% / 30% of the rows
(stratified where there are class labels), into a training part and a test part.

Missingness: completely at random (MCAR) at 10%, 30% and 50% of the entries, and for MNIST a
random 12x12 block of each image as well; five random masks each (seeds 0-4), applied to both
parts. Every imputer is fitted on the training part with its holes and fills in the test part.

Metrics, for each pattern, averaged over the masks (``+-`` one standard deviation):

- RMSE of the test part's hidden entries. For the tabular sets in standardised units (each
  feature divided by its standard deviation in the complete training part; constant features
  by 1); for MNIST in pixel units (intensities in [0, 1]), because border pixels that are
  almost always 0 would have standard deviations near 0 and swamp a standardised error.
- accuracy of a fixed downstream classifier (StandardScaler + LogisticRegression) trained on the
  imputed training part and tested on the imputed test part, where there are class labels
  (not diabetes, whose target is continuous);
- seconds for ``fit_transform`` of the training part plus ``transform`` of the test part (all
  the imputation the downstream task needs), with one torch thread.

Competitors: ``SimpleImputer(mean)``, ``KNNImputer()``, ``IterativeImputer()`` (BayesianRidge),
``IterativeImputer(ExtraTreesRegressor(n_estimators=100))`` (missForest-like), all with their
defaults (on MNIST, where they would take hours to days per mask, the BayesianRidge one models
each pixel from its 40 most correlated pixels and the extra-trees one is not run), and, when
the ``hyperimpute`` package imports, its GAIN (defaults) and MIWAE (two hidden layers of 128
units, ``K=20`` and a latent size of ``min(10, p - 1)``, close to the paper's settings for UCI
data; hyperimpute's defaults of one hidden unit and one latent dimension are not a fair
baseline), both on data standardised with the training part's observed statistics.

AutoencoderImputer runs with its defaults, which were chosen with ``--select``: it fits on the
training part with masks of other seeds (101, 102) and measures the error there, never on a
test part.

Usage (``SKAE_DATA`` names your data home, which must hold ``mnist/`` for the MNIST rows)::

    SKAE_DATA=/path/to/data python benchmarks/bench_impute.py             # everything (hours)
    SKAE_DATA=/path/to/data python benchmarks/bench_impute.py --quick     # minutes
    python benchmarks/bench_impute.py --datasets wine diabetes --rates 0.3
    python benchmarks/bench_impute.py --select                            # the defaults' grid
"""

import argparse
import time
import warnings
from collections import defaultdict

import numpy as np
import torch
from sklearn import datasets
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderImputer

TABULAR = ("breast_cancer", "wine", "diabetes", "digits")
SELECTION_SEEDS = (101, 102)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=[*TABULAR, "mnist"],
                   choices=[*TABULAR, "mnist"])
    p.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.3, 0.5])
    p.add_argument("--n-masks", type=int, default=5)
    p.add_argument("--n-mnist", type=int, default=10_000, help="MNIST images used")
    p.add_argument("--methods", nargs="+", default=None,
                   help="only these methods (names as in the table)")
    p.add_argument("--mnist-iterative", action="store_true",
                   help="run the IterativeImputers on MNIST on all pixels (hours to days)")
    p.add_argument("--quick", action="store_true",
                   help="30%% MCAR (and the block pattern), two masks, 3,000 MNIST images")
    p.add_argument("--select", action="store_true",
                   help="only print the selection table behind AutoencoderImputer's defaults")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args()


# -- data and masks --------------------------------------------------------------------------
def load(name, n_mnist):
    """``(X, y, is_image)``; ``y`` is None where there are no class labels."""
    if name == "mnist":
        from skae.datasets import load_mnist

        X, y = load_mnist(subset="train", return_X_y=True)
        return (X[:n_mnist] / 255.0).astype(np.float64), y[:n_mnist], True
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return X.astype(np.float64), (None if name == "diabetes" else y), False


def split(X, y):
    return train_test_split(X, *([] if y is None else [y]), test_size=0.3, random_state=0,
                            stratify=y)


def mcar(shape, rate, rng):
    return rng.random(shape) < rate


def block(shape, rng, side=12, width=28):
    """A random ``side x side`` square of each ``width x width`` image."""
    n = shape[0]
    mask = np.zeros((n, width, width), dtype=bool)
    rows, cols = rng.integers(0, width - side + 1, (2, n))
    for i in range(n):
        mask[i, rows[i]:rows[i] + side, cols[i]:cols[i] + side] = True
    return mask.reshape(shape)


def patterns(is_image, rates):
    out = [(f"MCAR {round(100 * r)}%", lambda shape, rng, r=r: mcar(shape, r, rng))
           for r in rates]
    if is_image:
        out.append(("block 12x12", block))
    return out


# -- imputers --------------------------------------------------------------------------------
def hyperimpute_imputers(n_features, seed):
    """hyperimpute's GAIN and MIWAE, wrapped as fit/transform objects; {} if not installed."""
    try:
        import pandas as pd
        from hyperimpute.plugins.imputers import Imputers
    except ImportError:
        return {}

    class Plugin:
        """A hyperimpute plugin on standardised data (with the training part's observed
        means and standard deviations, as AutoencoderImputer standardises inside): its MIWAE
        does not scale the data itself and diverges on breast_cancer's raw features."""

        def __init__(self, name, **params):
            self.plugin = Imputers().get(name, random_state=seed, **params)

        def fit_transform(self, X):
            self.mean_ = np.nanmean(X, axis=0)
            self.scale_ = np.nanstd(X, axis=0)
            self.scale_[~(self.scale_ > 0)] = 1.0
            self.mean_[np.isnan(self.mean_)] = 0.0
            self.plugin.fit(pd.DataFrame((X - self.mean_) / self.scale_))
            return self.transform(X)

        def transform(self, X):
            Z = np.asarray(self.plugin.transform(pd.DataFrame((X - self.mean_) / self.scale_)),
                           dtype=np.float64)
            return Z * self.scale_ + self.mean_

    return {
        "GAIN (hyperimpute)": lambda: Plugin("gain"),
        "MIWAE (hyperimpute)": lambda: Plugin("miwae", n_hidden=128, K=20,
                                              latent_size=max(1, min(10, n_features - 1))),
    }


def imputers(name, n_features, seed, mnist_iterative=False):
    out = {
        "SimpleImputer(mean)": SimpleImputer,
        "KNNImputer": KNNImputer,
        "Iterative(BayesianRidge)": lambda: IterativeImputer(random_state=seed),
        "Iterative(ExtraTrees)": lambda: IterativeImputer(
            ExtraTreesRegressor(n_estimators=100, n_jobs=1, random_state=seed),
            random_state=seed),
        **hyperimpute_imputers(n_features, seed),
        "AutoencoderImputer": lambda: AutoencoderImputer(random_state=seed),
    }
    if name == "mnist" and not mnist_iterative:
        # IterativeImputer fits one model per pixel per round (784 x 10) on all other pixels:
        # hours per mask with BayesianRidge on 7,000 images, days with extra trees. The
        # BayesianRidge one runs on each pixel's 40 most correlated pixels instead.
        del out["Iterative(ExtraTrees)"], out["Iterative(BayesianRidge)"]
        out["Iterative(BayesianRidge, 40 nearest)"] = lambda: IterativeImputer(
            n_nearest_features=40, random_state=seed)
    return out


# -- one run ---------------------------------------------------------------------------------
def error(X_filled, X_true, hidden, scale):
    return float(np.sqrt(np.mean(((X_filled - X_true) / scale)[hidden] ** 2)))


def downstream(X_tr, y_tr, X_te, y_te):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return float(clf.fit(X_tr, y_tr).score(X_te, y_te))


def run_one(make, X_tr, X_te, hid_tr, hid_te, y_tr, y_te, scale):
    imputer = make()
    start = time.perf_counter()
    F_tr = imputer.fit_transform(np.where(hid_tr, np.nan, X_tr))
    F_te = imputer.transform(np.where(hid_te, np.nan, X_te))
    seconds = time.perf_counter() - start
    acc = None if y_tr is None else downstream(F_tr, y_tr, F_te, y_te)
    return error(F_te, X_te, hid_te, scale), acc, seconds


def evaluate(name, args, results):
    X, y, is_image = load(name, args.n_mnist)
    X_tr, X_te, *ys = split(X, y)
    y_tr, y_te = ys if ys else (None, None)
    scale = np.ones(X.shape[1]) if is_image else X_tr.std(axis=0)
    scale[scale == 0] = 1.0
    for pattern, draw in patterns(is_image, args.rates):
        for seed in range(args.n_masks):
            rng = np.random.default_rng(seed)
            hid_tr, hid_te = draw(X_tr.shape, rng), draw(X_te.shape, rng)
            for method, make in imputers(name, X.shape[1], seed, args.mnist_iterative).items():
                if args.methods and method not in args.methods:
                    continue
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        res = run_one(make, X_tr, X_te, hid_tr, hid_te, y_tr, y_te, scale)
                except Exception as exc:  # a competitor that fails is reported, not fatal
                    print(f"  {name:<13} {pattern:<12} mask {seed} {method:<36} FAILED: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}", flush=True)
                    res = (np.nan, None, np.nan)
                results[name, pattern][method].append(res)
                print(f"  {name:<13} {pattern:<12} mask {seed} {method:<36} rmse {res[0]:.4f} "
                      f"acc {'-' if res[1] is None else f'{res[1]:.4f}'} {res[2]:7.1f}s",
                      flush=True)
        print_table(name, pattern, results[name, pattern], is_image)


# -- reporting -------------------------------------------------------------------------------
def mean_error(res):
    """Mean RMSE over the masks a method did not fail on (inf if it failed on all)."""
    err = np.array([r[0] for r in res], dtype=float)
    return float(np.nanmean(err)) if np.isfinite(err).any() else np.inf


def print_table(name, pattern, rows, is_image):
    unit = "pixel units" if is_image else "standardised"
    print(f"\n{name}, {pattern} ({len(next(iter(rows.values())))} masks; RMSE in {unit})")
    print(f"| {'method':<36} | {'RMSE':>15} | {'accuracy':>8} | {'seconds':>8} |")
    print(f"|{'-' * 38}|{'-' * 17}|{'-' * 10}|{'-' * 10}|")
    for method, res in sorted(rows.items(), key=lambda kv: mean_error(kv[1])):
        err = np.array([r[0] for r in res], dtype=float)
        ok = np.isfinite(err)
        if not ok.any():
            print(f"| {method:<36} | {'failed':>15} | {'-':>8} | {'-':>8} |")
            continue
        acc = [r[1] for r in res if r[1] is not None]
        acc_text = f"{np.mean(acc):.4f}" if acc else "-"
        sec = np.mean([r[2] for r, good in zip(res, ok) if good])
        note = "" if ok.all() else f" (failed on {int((~ok).sum())} of {len(err)} masks)"
        print(f"| {method:<36} | {err[ok].mean():.4f} +- {err[ok].std():.4f} | {acc_text:>8} | "
              f"{sec:8.1f} |{note}")
    print(flush=True)


def print_ranks(results, pattern="MCAR 30%"):
    ranks = defaultdict(list)
    for name in TABULAR:
        rows = results.get((name, pattern))
        if not rows:
            continue
        order = sorted(rows, key=lambda m: mean_error(rows[m]))
        for rank, method in enumerate(order, 1):
            ranks[method].append(rank)
    if not ranks:
        return
    print(f"Mean rank of the RMSE over the tabular data sets, {pattern}:")
    for method, r in sorted(ranks.items(), key=lambda kv: np.mean(kv[1])):
        print(f"  {method:<36} {np.mean(r):.2f}  (ranks {r})")


# -- selection of the defaults ---------------------------------------------------------------
SELECTION_GRID = {
    "defaults": {},
    "constant lr 1e-3, batch 200, patience 10 (engine defaults)": dict(
        learning_rate="constant", learning_rate_init=1e-3, batch_size="auto",
        n_iter_no_change=10),
    "lr 1e-3": dict(learning_rate_init=1e-3),
    "batch 32": dict(batch_size=32),
    "batch 128": dict(batch_size=128),
    "(128,), code 64": dict(hidden_layer_sizes=(128,), n_components=64),
    "(256, 256), code 128": dict(hidden_layer_sizes=(256, 256)),
    "hide_fraction 0.1": dict(hide_fraction=0.1),
    "hide_fraction 0.5": dict(hide_fraction=0.5),
    "early_stopping": dict(early_stopping=True),
    # n_components="auto" with sample_posterior=True: the error of one draw.
    "sample_posterior, latent 8": dict(sample_posterior=True, n_components=8),
    "sample_posterior, latent 16 (defaults)": dict(sample_posterior=True),
    "sample_posterior, latent 32": dict(sample_posterior=True, n_components=32),
}


def select(args):
    """RMSE of each setting on the training parts only (30% MCAR, masks of seeds 101, 102)."""
    print("Selection: fit_transform of the training part (70% of the rows), 30% MCAR, masks of "
          f"seeds {SELECTION_SEEDS}; RMSE of the hidden entries, standardised units")
    names = [n for n in args.datasets if n in TABULAR]
    print(f"| {'setting':<58} | " + " | ".join(f"{n:>13}" for n in names) + " |")
    print(f"|{'-' * 60}|" + "|".join("-" * 15 for _ in names) + "|")
    data = {n: split(*load(n, args.n_mnist)[:2])[0] for n in names}
    for label, params in SELECTION_GRID.items():
        cells = []
        for n in names:
            X = data[n]
            scale = X.std(axis=0)
            scale[scale == 0] = 1.0
            errs = []
            for seed in SELECTION_SEEDS:
                hidden = mcar(X.shape, 0.3, np.random.default_rng(seed))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    filled = AutoencoderImputer(random_state=0, **params).fit_transform(
                        np.where(hidden, np.nan, X))
                errs.append(error(filled, X, hidden, scale))
            cells.append(f"{np.mean(errs):13.4f}")
        print(f"| {label:<58} | " + " | ".join(cells) + " |", flush=True)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.quick:
        args.rates, args.n_masks, args.n_mnist = [0.3], 2, 3_000
    if args.select:
        select(args)
        return
    print(f"torch threads: {args.threads}; masks per pattern: {args.n_masks}; "
          f"hyperimpute: {'yes' if hyperimpute_imputers(2, 0) else 'not installed'}")
    results = defaultdict(lambda: defaultdict(list))
    for name in args.datasets:
        evaluate(name, args, results)
    print_ranks(results)


if __name__ == "__main__":
    main()
