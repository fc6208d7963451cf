"""Top-N recommendation under strong generalization: skae's EASE, MultVAE, MultDAE and CDAE
against popularity, implicit's ALS and cornac's EASE and VAECF, on the same split in one run.

Protocol (Liang et al., WWW 2018, sec. 4): ratings >= 4 are positives; users with fewer than 5
positives are dropped; 20% of the users are held out; 20% of each held-out user's positives are
hidden and the rest is folded in (no retraining); items no training user has are dropped (as in
the authors' preprocessing). Reported: Recall@20 and Recall@50 (normalised by min(k, #hidden)),
NDCG@100, and the wall time of fitting. Hyperparameters are fixed in advance (the papers'
defaults), never tuned on the test users. The one exception, CDAE's step size, batch size and
corruption (the paper gives no setting for these data), is chosen per data set from
``CDAE_GRID`` by NDCG@100 on *validation* users: the training users are split again the same
way and only they are used (the table is printed before the results).

Usage (``SKAE_DATA`` names your data home, which must hold MovieLens)::

    SKAE_DATA=/path/to/data python benchmarks/bench_topn.py [--datasets 100k 1m-partial]
        [--epochs 100] [--threads 1] [--seed 0]

Requires pandas, implicit and cornac (``pip install implicit cornac``; keep torch pinned).
"""

import argparse
import os
import sys
import time

# Thread counts must be set before numpy/torch load their BLAS/OpenMP runtimes.
_THREADS = "1"
for _i, _arg in enumerate(sys.argv):
    if _arg == "--threads" and _i + 1 < len(sys.argv):
        _THREADS = sys.argv[_i + 1]
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402

from skae import CDAE, EASE, MultDAE, MultVAE  # noqa: E402
from skae.datasets import load_movielens  # noqa: E402
from skae.metrics import ndcg_at_k, recall_at_k  # noqa: E402
from skae.metrics._ranking import mask_seen  # noqa: E402
from skae.model_selection import strong_generalization_split  # noqa: E402

ANCHORS = "Published ML-20M NDCG@100 (Liang et al. 2018; Steck 2019): " \
          "Mult-VAE 0.426, Mult-DAE 0.419, EASE 0.420"


def interaction_matrix(variant):
    """Binary users x items matrix of ratings >= 4; users with >= 5 positives."""
    ratings = load_movielens(variant)
    pos = ratings[ratings["rating"] >= 4]
    counts = pos.groupby("user")["item"].transform("size")
    pos = pos[counts >= 5]
    users, u_idx = np.unique(pos["user"].to_numpy(), return_inverse=True)
    items, i_idx = np.unique(pos["item"].to_numpy(), return_inverse=True)
    return sp.csr_matrix((np.ones(len(pos), dtype=np.float32), (u_idx, i_idx)),
                         shape=(len(users), len(items)))


def make_split(X, seed):
    X_train, X_foldin, X_holdout = strong_generalization_split(
        X, test_size=0.2, holdout_fraction=0.2, random_state=seed)
    keep = np.flatnonzero(np.asarray(X_train.sum(axis=0)).ravel() > 0)
    return X_train[:, keep], X_foldin[:, keep], X_holdout[:, keep]


def evaluate(scores, X_foldin, X_holdout):
    scores = mask_seen(np.array(scores, dtype=np.float64), X_foldin)
    return (recall_at_k(X_holdout, scores, k=20), recall_at_k(X_holdout, scores, k=50),
            ndcg_at_k(X_holdout, scores, k=100))


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


# -- the peers: each returns (scores of the fold-in users, fit seconds) -------------------------
def popularity(X_train, X_foldin, _):
    pop, t = timed(lambda: np.asarray(X_train.sum(axis=0)).ravel())
    return np.tile(pop, (X_foldin.shape[0], 1)), t


def implicit_als(X_train, X_foldin, seed):
    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=2.0, iterations=15,
                                    num_threads=int(_THREADS), random_state=seed)
    _, t = timed(lambda: model.fit(X_train, show_progress=False))
    # Fold-in: solve each new user's least-squares problem against the fixed item factors.
    users = model.recalculate_user(np.arange(X_foldin.shape[0]), X_foldin.tocsr())
    return users @ model.item_factors.T, t


def _cornac_data(X_train):
    from cornac.data import Dataset

    coo = X_train.tocoo()
    triplets = list(zip(coo.row.astype(str), coo.col.astype(str), coo.data.astype(float),
                        strict=True))
    data = Dataset.from_uir(triplets, seed=0)
    # cornac renumbers items by first appearance: map our column j to its index.
    order = np.array([data.iid_map[str(j)] for j in range(X_train.shape[1])])
    return data, order


def cornac_ease(X_train, X_foldin, alpha, state):
    from cornac.models import EASE as CornacEASE

    data, order = _cornac_data(X_train)
    model = CornacEASE(lamb=alpha, posB=False, verbose=False)
    _, t = timed(lambda: model.fit(data))
    B = np.asarray(model.B)[np.ix_(order, order)]
    state["cornac_B"] = B
    return np.asarray(X_foldin @ B), t


def cornac_vaecf(X_train, X_foldin, epochs, seed):
    from cornac.models import VAECF

    data, order = _cornac_data(X_train)
    model = VAECF(k=200, autoencoder_structure=[600], act_fn="tanh", likelihood="mult",
                  n_epochs=epochs, batch_size=500, learning_rate=1e-3, beta=0.2, seed=seed)
    _, t = timed(lambda: model.fit(data))
    x = torch.zeros((X_foldin.shape[0], X_train.shape[1]), dtype=torch.float32)
    x[:, torch.as_tensor(order)] = torch.as_tensor(X_foldin.toarray())
    with torch.no_grad():
        mu, _ = model.vae.encode(x)
        probs = model.vae.decode(mu)[:, torch.as_tensor(order)]
    return probs.numpy(), t


# CDAE updates each user's vector once per epoch, so small batches and a larger step may suit it
# better than the paper-style defaults; chosen on validation users by select_cdae.
CDAE_GRID = [
    dict(noise_level=0.2, alpha=0.0, batch_size="auto", learning_rate_init=1e-3),
    dict(noise_level=0.2, alpha=1e-3, batch_size=64, learning_rate_init=1e-2),
    dict(noise_level=0.5, alpha=1e-3, batch_size=64, learning_rate_init=1e-2),
    dict(noise_level=0.5, alpha=1e-3, batch_size=64, learning_rate_init=1e-3),
]


def select_cdae(X_train, common, seed):
    """The CDAE_GRID setting with the best NDCG@100 on validation users drawn from the
    training users only (the same strong-generalization split of X_train, another seed)."""
    X_fit, X_vfold, X_vhold = make_split(X_train, seed + 1)
    print(f"CDAE selection on {X_vfold.shape[0]} validation users (training users only):")
    print("| setting | validation NDCG@100 |\n|---|---:|")
    scores = []
    for setting in CDAE_GRID:
        model = CDAE(n_components=50, **setting, **common).fit(X_fit)
        ndcg = evaluate(model.predict_scores(X_vfold), X_vfold, X_vhold)[2]
        scores.append(ndcg)
        print(f"| {setting} | {ndcg:.4f} |", flush=True)
    return CDAE_GRID[int(np.argmax(scores))]


def skae_model(estimator):
    def run(X_train, X_foldin, _):
        _, t = timed(lambda: estimator.fit(X_train))
        return estimator.predict_scores(X_foldin), t
    return run


def run_dataset(variant, args):
    X = interaction_matrix(variant)
    X_train, X_foldin, X_holdout = make_split(X, args.seed)
    print(f"\n## {variant}: {X.shape[0]} users x {X_train.shape[1]} items, {X.nnz} positives; "
          f"{X_train.shape[0]} training users, {X_foldin.shape[0]} held-out users "
          f"({int(X_holdout.sum())} hidden positives)")
    alpha = args.ease_alpha
    # Paper settings for Mult-*: batch 500, Adam 1e-3, all epochs (no early stop on the loss).
    common = dict(max_iter=args.epochs, n_iter_no_change=args.epochs, random_state=args.seed)
    mult = dict(batch_size=500, **common)
    cdae = dict(n_components=50, **select_cdae(X_train, common, args.seed), **common)
    state = {}
    ease = EASE(alpha=alpha)
    models = [
        ("Popularity", popularity),
        (f"skae EASE (lambda={alpha:g})", skae_model(ease)),
        (f"cornac EASE (lamb={alpha:g}, posB=False)",
         lambda a, b, _: cornac_ease(a, b, alpha, state)),
        ("implicit ALS (64 factors)", lambda a, b, s: implicit_als(a, b, s)),
        (f"skae MultVAE (600-200, {args.epochs} ep)", skae_model(MultVAE(**mult))),
        (f"skae MultDAE (600-200, {args.epochs} ep)",
         skae_model(MultDAE(alpha=0.02, **mult))),
        (f"skae CDAE (50, {args.epochs} ep, noise_level {cdae['noise_level']}, "
         f"batch {cdae['batch_size']}, lr {cdae['learning_rate_init']:g})",
         skae_model(CDAE(**cdae))),
        (f"cornac VAECF (600-200, {args.epochs} ep)",
         lambda a, b, s: cornac_vaecf(a, b, args.epochs, s)),
    ]
    rows = []
    for name, fn in models:
        try:
            scores, t = fn(X_train, X_foldin, args.seed)
            rows.append((name, *evaluate(scores, X_foldin, X_holdout), t))
        except ImportError as exc:
            rows.append((name + f" [not installed: {exc.name}]", np.nan, np.nan, np.nan, np.nan))
    print("| model | Recall@20 | Recall@50 | NDCG@100 | fit s |\n|---|---:|---:|---:|---:|")
    for name, r20, r50, ndcg, t in rows:
        print(f"| {name} | {r20:.4f} | {r50:.4f} | {ndcg:.4f} | {t:.2f} |")
    if "cornac_B" in state:
        diff = np.abs(ease.coef_ - state["cornac_B"]).max()
        s_ours = ease.predict_scores(X_foldin)
        s_theirs = np.asarray(X_foldin @ state["cornac_B"])
        print(f"EASE vs cornac: max |B_skae - B_cornac| = {diff:.2e} "
              f"(max |B| = {np.abs(state['cornac_B']).max():.3f}); max score difference "
              f"{np.abs(s_ours - s_theirs).max():.2e}; same top-100 for "
              f"{_same_top(s_ours, s_theirs, X_foldin):.1%} of held-out users")


def _same_top(a, b, X_foldin, k=100):
    a = mask_seen(np.array(a, dtype=np.float64), X_foldin)
    b = mask_seen(np.array(b, dtype=np.float64), X_foldin)
    ta = np.argsort(-a, axis=1, kind="stable")[:, :k]
    tb = np.argsort(-b, axis=1, kind="stable")[:, :k]
    return float(np.mean([set(x) == set(y) for x, y in zip(ta, tb, strict=True)]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["100k", "1m-partial"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--ease-alpha", type=float, default=500.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), seed {args.seed}")
    for variant in args.datasets:
        run_dataset(variant, args)
    print("\n" + ANCHORS + " (ML-20M, not comparable in absolute terms to the sets above)")


if __name__ == "__main__":
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    main()
