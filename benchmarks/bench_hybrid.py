"""Hybrid recommenders with side information: skae's MDACFRegressor and CDL against their
peers, on the same splits in one run.

1. Rating prediction (RMSE): MovieLens 100K folds u1..u5 and ``1m-partial`` (the first
   487,650 ratings of ML-1M, about half; NOT the full data set) with a random 90/10 split:
   MDACFRegressor (user demographics and movie genres/year) vs I-AutoRec (the settings of
   ``bench_autorec.py``) vs Surprise's SVD and SVD++ (SVD++ on ML-100K only: hours on 440k).
2. Cold-start users (RMSE): 20% of the users held out entirely (all their ratings are test
   ratings; only their demographics are known): MDACFRegressor vs the mean rating of their
   demographic group (gender x age group x occupation, backing off to gender x age group,
   then the global mean) vs the item mean vs the global mean.
3. Top-N, warm items (ratings >= 4 are positives; ML-100K: u1.base/u1.test, 1m-partial: 20%
   of each user's positives held out at random; the training positives are masked): CDL vs
   CDAE, EASE and implicit's ALS. Recall@20, Recall@50 (normalised by min(k, #relevant)),
   NDCG@100 over all items, fit seconds.
4. Top-N, cold-start items: 20% of the items lose all their interactions in training; each
   user's positives among them are ranked among those items only, which are scored from
   genres, year and title words: CDL vs LightFM (WARP loss, identity + content item features)
   vs a content nearest-neighbour baseline (cosine of the item features to the user's
   training items) vs random.

Settings are chosen on validation data cut from the training part only (printed before the
results): MDACFRegressor's ``coupling_weight`` on 10% of the training ratings; CDL's
``lambda_v`` for the warm task on 20% of each training user's positives, for the cold task on
20% of the training items made cold. ``--quick`` skips the selection (the defaults below,
chosen that way on ML-100K), uses fold u1 only and fewer epochs. The papers' own figures are
printed beside ours with their protocols.

Peers: ``pip install scikit-surprise implicit cornac`` and LightFM (its 1.17 sdist does not
build with pip's defaults: ``pip wheel --no-deps --no-build-isolation --no-use-pep517 lightfm``
in an environment with setuptools, wheel, Cython and numpy). Never let them change torch; a
``--target`` folder on ``PYTHONPATH`` keeps them out of the environment. Usage::

    SKAE_DATA=/path/to/data python benchmarks/bench_hybrid.py [--quick]
        [--datasets 100k 1m-partial] [--parts rating cold-users warm cold-items] [--threads 1]
"""

import argparse
import os
import sys
import time
import warnings

_THREADS = "1"
for _i, _arg in enumerate(sys.argv):
    if _arg == "--threads" and _i + 1 < len(sys.argv):
        _THREADS = sys.argv[_i + 1]
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skae import CDAE, CDL, EASE, AutoRecRegressor, MDACFRegressor  # noqa: E402
from skae.datasets import (  # noqa: E402
    load_movielens,
    load_movielens_items,
    load_movielens_users,
    make_movielens_transformer,
)
from skae.metrics import ndcg_at_k, recall_at_k  # noqa: E402
from skae.metrics._ranking import mask_seen  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_autorec import AUTOREC, AUTOREC_1M, ml1m_partial_split, surprise  # noqa: E402

# MDACFRegressor: its defaults (n_components 20, coupling_weight 10, input_ratings "implicit",
# 100 posterior draws), chosen on validation ratings cut from u1.base the way bench_autorec.py
# chose AutoRec's (half of the users lose 40% of their ratings; three draws; see the class
# docstring for the table). --quick fits them as they are; the full run picks coupling_weight
# on 10% of the training ratings.
MDACF = dict(n_components=20, coupling_weight=10.0)
MDACF_GRID = [dict(MDACF, coupling_weight=a) for a in (7.0, 10.0, 15.0)]
# CDL: the paper's 2-layer SDAE (200 hidden units, K=50) and a=1; 64 items a step. b and
# lambda_u were chosen on validation positives cut from u1.base (20% of each user's, 15
# epochs; NDCG@100): the paper's b=0.01, lambda_u=0.1: 0.333; b=0.05, lambda_u=1: 0.370
# (CDAE there: 0.368); b=0.05 with lambda_u 3: 0.364, 10: 0.312; b=0.02, lambda_u=1: 0.357;
# b=0.1: 0.321. lambda_v is chosen per task and data set (CDL_GRID).
CDL_BASE = dict(n_components=50, hidden_layer_sizes=(200,), b=0.05, lambda_u=1.0,
                batch_size=64, max_iter=30, random_state=0)
CDL_GRID = [dict(CDL_BASE, lambda_v=v) for v in (1.0, 10.0, 100.0)]
CDAE_SETTING = dict(n_components=50, noise_level=0.2, alpha=1e-3, batch_size=64,
                    learning_rate_init=1e-2, max_iter=50, random_state=0)
# The papers' own figures, and where our protocol differs. Only numbers found in the papers'
# text or in published reproductions are printed; a figure that could not be found says so.
PUBLISHED = [
    ("mDA-CF, Li, Kawale & Fu, CIKM 2015 (RMSE tables on MovieLens-100K and -1M)",
     "not printed: neither the tables' numbers nor the paper's split could be found in any "
     "text searchable here (paper or reference code); no comparison with u1.test is made."),
    ("CDL, Wang, Wang & Yeung, KDD 2015 (recall@M, M=50..300, on citeulike-a, citeulike-t, "
     "Netflix; sparse P=1 and dense P=10 positives per user in training)",
     "the paper's own recall@M values are in its figures and could not be found as text "
     "here: not printed."),
    ("CDL reproduced with the authors' code, Ferrari Dacrema et al., 'A troubling analysis "
     "of reproducibility and progress in recommender systems research', TOIS 2021 "
     "(FULL_RESULTS.md of RecSys2019_DeepLearning_Evaluation)",
     "citeulike-a P=1: recall@50 0.0915, recall@300 0.2477 (content kNN 0.0942 / 0.2152); "
     "P=10: 0.0543 / 0.2627 (content kNN 0.2135 / 0.4707). citeulike-t P=1: 0.0487 / "
     "0.1661; P=10: 0.2068 / 0.4397."),
    ("how our top-N protocol differs from CDL's",
     "MovieLens (ratings >= 4 as positives) with genres, year and title words (99 "
     "features) instead of the bag of words of citeulike's abstracts; recall at 20 and 50 "
     "normalised by min(k, #relevant) rather than recall@50..300 over all items; our "
     "cold-start items are ranked among the held-out items only (the paper has no "
     "cold-start item task)."),
    ("I-AutoRec and Surprise, for the rating rows",
     "bench_autorec.py: I-AutoRec RMSE 0.896 on ML-100K u1; Surprise docs (5-fold ML-100K): "
     "SVD 0.934, SVD++ 0.919; the AutoRec paper (ML-1M 90/10): I-AutoRec 0.831."),
]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def rmse(y, p):
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(p)) ** 2)))


# -- side information ---------------------------------------------------------------------------
def side_tables(variant):
    """Numeric user and item tables indexed by id (the recipe of skae.datasets)."""
    users, items = load_movielens_users(variant), load_movielens_items(variant)
    ux = pd.DataFrame(make_movielens_transformer("users").fit_transform(users),
                      index=users.index)
    ix = pd.DataFrame(make_movielens_transformer("items").fit_transform(items),
                      index=items.index)
    ix_words = pd.DataFrame(make_movielens_transformer("items", title_min_df=5)
                            .fit_transform(items), index=items.index)
    return users, ux, ix, ix_words


def rating_splits(variant, quick):
    if variant == "100k":
        folds = ["u1"] if quick else ["u1", "u2", "u3", "u4", "u5"]
        return [(f, *load_movielens("100k", split=f)) for f in folds]
    return [("90/10", *ml1m_partial_split())]


# -- 1. ratings -----------------------------------------------------------------------------------
def mdacf_runner(params, ux, ix):
    def run(train, test):
        model = MDACFRegressor(random_state=0, **params)
        model.fit(train[["user", "item"]].to_numpy(), train["rating"].to_numpy(float),
                  user_features=ux, item_features=ix)
        return model.predict(test[["user", "item"]].to_numpy())
    return run


def autorec_runner(params):
    def run(train, test):
        model = AutoRecRegressor("item", **params)
        model.fit(train[["user", "item"]], train["rating"].to_numpy(float))
        return model.predict(test[["user", "item"]])
    return run


def select_mdacf(train, ux, ix, grid):
    """The grid setting with the lowest RMSE on 10% of the training ratings."""
    held = np.random.default_rng(0).random(len(train)) < 0.1
    print("MDACFRegressor selection (10% of the training ratings held out):")
    print("| setting | validation RMSE |\n|---|---:|")
    scores = []
    for setting in grid:
        pred = mdacf_runner(setting, ux, ix)(train[~held], train[held])
        scores.append(rmse(train[held]["rating"], pred))
        print(f"| {setting} | {scores[-1]:.4f} |", flush=True)
    return grid[int(np.argmin(scores))]


def part_rating(variant, tables, args):
    _, ux, ix, _ = tables
    splits = rating_splits(variant, args.quick)
    mdacf = MDACF if args.quick else select_mdacf(splits[0][1], ux, ix, MDACF_GRID)
    models = {
        "global mean": lambda tr, te: np.full(len(te), tr["rating"].mean()),
        f"skae MDACFRegressor {mdacf} (user+item features)": mdacf_runner(mdacf, ux, ix),
        "skae MDACFRegressor, no side features (rated-items input only)":
            mdacf_runner(mdacf, None, None),
        "skae MDACFRegressor, MAP (n_draws=0)": mdacf_runner(dict(mdacf, n_draws=0), ux, ix),
        "skae I-AutoRec (bench_autorec settings)":
            autorec_runner(AUTOREC if variant == "100k" else AUTOREC_1M),
        "Surprise SVD": surprise("SVD"),
    }
    if variant == "100k":
        models["Surprise SVD++"] = surprise("SVD++")
    rows = []
    for name, run in models.items():
        errors, seconds = [], []
        for _, train, test in splits:
            try:
                pred, t = timed(lambda run=run, train=train, test=test: run(train, test))
            except ImportError as exc:
                errors, seconds = [np.nan], [np.nan]
                name += f" [not installed: {exc.name}]"
                break
            errors.append(rmse(test["rating"], pred))
            seconds.append(t)
        rows.append((name, errors, seconds))
        print(f"  {name}: {np.round(errors, 4).tolist()}", flush=True)
    folds = [s[0] for s in splits]
    print(f"\n### {variant}: rating prediction, RMSE on the test folds")
    print("| model | " + " | ".join(folds) + " | mean | fit+predict s |")
    print("|---|" + "---:|" * (len(folds) + 2))
    for name, errors, seconds in rows:
        cells = " | ".join(f"{e:.4f}" for e in errors)
        print(f"| {name} | {cells} | {np.mean(errors):.4f} | {np.mean(seconds):.1f} |")
    return mdacf


# -- 2. cold-start users ----------------------------------------------------------------------
def age_group(age, variant):
    if variant != "100k":
        return age  # ML-1M's ages are already its groups
    return np.searchsorted([18, 25, 35, 45, 50, 56], age, side="right")


def demographic_mean(train, test, users, variant):
    """Mean training rating of the test user's group, backing off to coarser groups."""
    demo = pd.DataFrame({"g": users["gender"], "a": age_group(users["age"].to_numpy(), variant),
                         "o": users["occupation"]}, index=users.index)
    tr, te = train.join(demo, on="user"), test.join(demo, on="user")
    pred = pd.Series(train["rating"].mean(), index=te.index)
    for keys in (["g", "a"], ["g", "a", "o"]):  # finer groups overwrite coarser ones
        means = tr.groupby(keys)["rating"].mean().rename("m")
        found = te.join(means, on=keys)["m"]
        pred[found.notna()] = found[found.notna()]
    return pred.to_numpy()


def part_cold_users(variant, tables, mdacf):
    users, ux, ix, _ = tables
    ratings = load_movielens(variant)
    rng = np.random.default_rng(0)
    ids = np.unique(ratings["user"])
    cold = rng.choice(ids, size=len(ids) // 5, replace=False)
    is_cold = ratings["user"].isin(cold).to_numpy()
    train, test = ratings[~is_cold], ratings[is_cold]
    item_means = train.groupby("item")["rating"].mean()
    models = {
        "global mean": lambda: np.full(len(test), train["rating"].mean()),
        "item mean": lambda: test["item"].map(item_means).fillna(train["rating"].mean())
        .to_numpy(),
        "demographic group mean": lambda: demographic_mean(train, test, users, variant),
        f"skae MDACFRegressor {mdacf}": lambda: mdacf_runner(mdacf, ux, ix)(train, test),
        "skae MDACFRegressor, item features only": lambda: mdacf_runner(mdacf, None, ix)(
            train, test),
    }
    print(f"\n### {variant}: cold-start users ({len(cold)} of {len(ids)} users held out, "
          f"{len(test)} test ratings; only their demographics known)")
    print("| model | RMSE | s |\n|---|---:|---:|")
    for name, run in models.items():
        pred, t = timed(run)
        print(f"| {name} | {rmse(test['rating'], pred):.4f} | {t:.1f} |", flush=True)


# -- 3. top-N, warm items -----------------------------------------------------------------------
def positives(variant):
    """(users x items) matrix of ratings >= 4 over all users and catalogue items, and the
    catalogue ids (columns)."""
    items = load_movielens_items(variant).index.to_numpy()
    ratings = load_movielens(variant)
    users = np.unique(ratings["user"])
    pos = ratings[ratings["rating"] >= 4]
    rows = np.searchsorted(users, pos["user"])
    cols = np.searchsorted(items, pos["item"])
    X = sp.csr_matrix((np.ones(len(pos), np.float32), (rows, cols)),
                      shape=(len(users), len(items)))
    return X, users, items


def random_holdout(X, fraction, seed):
    """Split the entries of each row: (kept, held out), ``fraction`` held out at random."""
    coo = X.tocoo()
    held = np.random.default_rng(seed).random(coo.nnz) < fraction
    part = [sp.csr_matrix((coo.data[m], (coo.row[m], coo.col[m])), shape=X.shape)
            for m in (~held, held)]
    return part[0], part[1]


def warm_split(variant):
    X, users, items = positives(variant)
    if variant != "100k":
        return (*random_holdout(X, 0.2, 0), items)
    train, test = load_movielens("100k", split="u1")

    def matrix(df):
        df = df[df["rating"] >= 4]
        return sp.csr_matrix((np.ones(len(df), np.float32),
                              (np.searchsorted(users, df["user"]),
                               np.searchsorted(items, df["item"]))), shape=X.shape)
    return matrix(train), matrix(test), items


def ranking(scores, X_train, X_test, candidates=None):
    scores = np.array(scores, dtype=np.float64)
    if candidates is None:
        scores = mask_seen(scores, X_train)
    else:
        scores, X_test = scores[:, candidates], X_test[:, candidates]
    rows = np.flatnonzero(X_test.getnnz(axis=1) > 0)
    scores, X_test = scores[rows], X_test[rows]
    return (recall_at_k(X_test, scores, k=20), recall_at_k(X_test, scores, k=50),
            ndcg_at_k(X_test, scores, k=100))


def cdl_scores(params, X_train, features):
    model = CDL(**params)
    _, t = timed(lambda: model.fit(X_train, item_features=features))
    return model.predict_scores(X_train), t


def implicit_als(X_train):
    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=2.0, iterations=15,
                                    num_threads=int(_THREADS), random_state=0)
    _, t = timed(lambda: model.fit(X_train, show_progress=False))
    return model.user_factors @ model.item_factors.T, t


def select_cdl(X_train, features, grid, cold_items):
    """The grid setting best on validation data cut from X_train: NDCG@100 on 20% of each
    user's positives (warm), or Recall@20 on 20% of the items made cold (cold)."""
    if cold_items:
        warm = np.flatnonzero(X_train.getnnz(axis=0) > 0)
        pseudo = np.random.default_rng(1).choice(warm, size=len(warm) // 5, replace=False)
        keep = np.ones(X_train.shape[1], bool)
        keep[pseudo] = False
        X_fit, X_val = X_train @ sp.diags(keep.astype(np.float32)), X_train
        metric, label = 0, "Recall@20 on 20% of the training items made cold"
    else:
        X_fit, X_val = random_holdout(X_train, 0.2, 1)
        pseudo, metric, label = None, 2, "NDCG@100 on 20% of each training user's positives"
    print(f"CDL selection ({label}):\n| setting | validation |\n|---|---:|")
    scores = []
    for setting in grid:
        s, _ = cdl_scores(setting, X_fit, features)
        scores.append(ranking(s, X_fit, X_val, pseudo)[metric])
        print(f"| lambda_v={setting['lambda_v']:g} | {scores[-1]:.4f} |", flush=True)
    return grid[int(np.argmax(scores))]


def print_ranking(title, rows):
    print(f"\n### {title}")
    print("| model | Recall@20 | Recall@50 | NDCG@100 | fit s |\n|---|---:|---:|---:|---:|")
    for name, (r20, r50, n100), t in rows:
        print(f"| {name} | {r20:.4f} | {r50:.4f} | {n100:.4f} | {t:.1f} |", flush=True)


def part_warm(variant, tables, args):
    _, _, _, ix_words = tables
    X_train, X_test, items = warm_split(variant)
    features = ix_words.loc[items].to_numpy()
    cdl = dict(CDL_BASE, lambda_v=10.0, max_iter=args.epochs) if args.quick else \
        select_cdl(X_train, features, [dict(g, max_iter=args.epochs) for g in CDL_GRID], False)
    models = {
        f"skae CDL (lambda_v={cdl['lambda_v']:g}, genres+year+title words)":
            lambda: cdl_scores(cdl, X_train, features),
        "skae CDAE (50 units)": lambda: _fit_scores(CDAE(**dict(CDAE_SETTING,
                                                                   max_iter=args.epochs)),
                                                    X_train),
        "skae EASE (lambda=500)": lambda: _fit_scores(EASE(alpha=500.0), X_train),
        "implicit ALS (64 factors)": lambda: implicit_als(X_train),
    }
    rows = []
    for name, run in models.items():
        try:
            scores, t = run()
            rows.append((name, ranking(scores, X_train, X_test), t))
        except ImportError as exc:
            rows.append((name + f" [not installed: {exc.name}]", (np.nan,) * 3, np.nan))
    print_ranking(f"{variant}: top-N on warm items ({X_train.shape[0]} users, "
                  f"{X_train.shape[1]} items, {X_train.nnz} training / {X_test.nnz} test "
                  "positives)", rows)


def _fit_scores(model, X_train):
    _, t = timed(lambda: model.fit(X_train))
    return model.predict_scores(X_train), t


# -- 4. top-N, cold-start items -------------------------------------------------------------
def content_knn(X_train, features):
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    (scores), t = timed(lambda: np.asarray(X_train @ unit) @ unit.T)
    return scores, t


def lightfm(X_train, features, epochs):
    from lightfm import LightFM

    n_items = X_train.shape[1]
    # Identity features let warm items have their own vectors; a cold item's identity
    # feature never occurs in training, so its vector comes from its content features.
    item_x = sp.hstack([sp.identity(n_items, format="csr"), sp.csr_matrix(features)]).tocsr()
    model = LightFM(no_components=50, loss="warp", item_alpha=1e-6, random_state=0)
    _, t = timed(lambda: model.fit(sp.coo_matrix(X_train), item_features=item_x,
                                   epochs=epochs, num_threads=int(_THREADS)))
    users = np.repeat(np.arange(X_train.shape[0]), n_items)
    cols = np.tile(np.arange(n_items), X_train.shape[0])
    scores = model.predict(users, cols, item_features=item_x, num_threads=int(_THREADS))
    return scores.reshape(X_train.shape), t


def part_cold_items(variant, tables, args):
    _, _, _, ix_words = tables
    X, _, items = positives(variant)
    features = ix_words.loc[items].to_numpy()
    rated = np.flatnonzero(X.getnnz(axis=0) > 0)
    cold = np.random.default_rng(0).choice(rated, size=len(rated) // 5, replace=False)
    keep = np.ones(X.shape[1], np.float32)
    keep[cold] = 0
    X_train = (X @ sp.diags(keep)).tocsr()
    X_train.eliminate_zeros()
    cdl = dict(CDL_BASE, lambda_v=10.0, max_iter=args.epochs) if args.quick else \
        select_cdl(X_train, features, [dict(g, max_iter=args.epochs) for g in CDL_GRID], True)
    rng = np.random.default_rng(2)
    models = {
        f"skae CDL (lambda_v={cdl['lambda_v']:g})": lambda: cdl_scores(cdl, X_train, features),
        "LightFM (WARP, identity + content features, 50 comp.)":
            lambda: lightfm(X_train, features, 30 if not args.quick else 10),
        "content nearest neighbours (cosine)": lambda: content_knn(X_train, features),
        "random": lambda: (rng.random(X.shape), 0.0),
    }
    rows = []
    for name, run in models.items():
        try:
            scores, t = run()
            rows.append((name, ranking(scores, X_train, X, cold), t))
        except ImportError as exc:
            rows.append((name + f" [not installed: {exc.name}]", (np.nan,) * 3, np.nan))
    print_ranking(f"{variant}: cold-start items ({len(cold)} of {len(rated)} rated items lose "
                  f"all {int(X[:, cold].sum())} positives; ranked among themselves from "
                  f"{features.shape[1]} content features)", rows)
    print("cornac CDL (the reference implementation): not run. It needs TensorFlow, which is "
          "not in this environment; tensorflow-cpu 2.21.0 did install from the package index "
          "into a separate venv (2 min 22 s, checked once), but cornac's CDL reads item content "
          "as a cornac TextModality in that other interpreter, a bridge this script lacks.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--datasets", nargs="+", default=["100k", "1m-partial"])
    parser.add_argument("--parts", nargs="+", default=["rating", "cold-users", "warm",
                                                        "cold-items"])
    parser.add_argument("--epochs", type=int, default=None, help="CDL/CDAE epochs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    args.epochs = args.epochs or (15 if args.quick else 30)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(f"torch {torch.__version__}, {args.threads} thread(s), quick={args.quick}")
    for variant in args.datasets:
        print(f"\n## {variant}")
        tables = side_tables(variant)
        mdacf = MDACF
        if "rating" in args.parts:
            mdacf = part_rating(variant, tables, args)
        if "cold-users" in args.parts:
            part_cold_users(variant, tables, mdacf)
        if "warm" in args.parts:
            part_warm(variant, tables, args)
        if "cold-items" in args.parts:
            part_cold_items(variant, tables, args)
    print("\n## published (the papers' figures and reproductions; other protocols)")
    for source, figures in PUBLISHED:
        print(f"- {source}: {figures}")


if __name__ == "__main__":
    main()
