"""Top-k ranking metrics of recommenders, and scorers for model selection.

Every metric compares a score matrix ``y_score`` (one row per user, one column per item; higher
ranks first) with a relevance matrix ``y_true`` (non-zero = relevant, e.g. held-out
interactions). Relevance is binary, as in Liang et al. (WWW 2018, sec. 4.3). Rows without any
relevant item are left out of the average (their per-row value is NaN).
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

from skae.model_selection import split_interactions

__all__ = [
    "RANKING_METRICS",
    "hit_rate_at_k",
    "make_ranking_scorer",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]

_CHUNK = 1024  # rows ranked at a time: bounds the memory of the dense relevance block


def _check_inputs(y_true, y_score, k):
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    y_true = check_array(y_true, accept_sparse="csr", dtype="numeric", input_name="y_true")
    # -inf is allowed in y_score: it is how excluded (already seen) items are ranked last.
    y_score = check_array(y_score, dtype=[np.float64, np.float32], ensure_all_finite=False,
                          input_name="y_score")
    if np.isnan(y_score).any():
        raise ValueError("y_score contains NaN.")
    if y_true.shape != y_score.shape:
        raise ValueError(
            f"y_true and y_score must have the same shape, got {y_true.shape} and {y_score.shape}."
        )
    return y_true, y_score


def top_k(scores, k):
    """Columns of the ``k`` highest scores of each row, best first, and those scores.

    ``argpartition`` then a stable sort of the ``k`` chosen: ``O(n log k)`` per row instead of
    a full sort; ties keep column order.
    """
    n_items = scores.shape[1]
    top = (np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n_items
           else np.broadcast_to(np.arange(n_items), scores.shape))
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)


def _ranked_hits(y_true, y_score, k):
    """``hits[u, r]``: whether the item ranked ``r`` (< k) for user ``u`` is relevant; and n_rel."""
    n_rows, n_items = y_score.shape
    k = min(k, n_items)
    hits = np.zeros((n_rows, k), dtype=bool)
    n_rel = np.zeros(n_rows, dtype=np.int64)
    for start in range(0, n_rows, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n_rows))
        block = y_true[rows]
        rel = (block.toarray() if sp.issparse(block) else block) > 0
        top, _ = top_k(y_score[rows], k)
        hits[rows] = np.take_along_axis(rel, top, axis=1)
        n_rel[rows] = rel.sum(axis=1)
    return hits, n_rel


def _finish(values, n_rel, average, undefined=(
        "No row of y_true has a relevant (non-zero) item; the metric is undefined.")):
    """Each row's value, NaN for rows without a relevant item, or with ``average`` the mean
    over the others; ``undefined`` is the error when no row has a relevant item."""
    values = np.where(n_rel > 0, values, np.nan)
    if not average:
        return values
    if not (n_rel > 0).any():
        raise ValueError(undefined)
    return float(np.nanmean(values))


def recall_at_k(y_true, y_score, *, k=20, average=True):
    """Recall@k normalised by ``min(k, n_relevant)``, as in Liang et al. (2018), eq. 5.

    The normalisation makes a perfect ranking score 1 even when a user has more than ``k``
    relevant items.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        Relevant items (non-zero entries), e.g. held-out interactions.
    y_score : array-like of shape (n_users, n_items)
        Predicted scores; ``-inf`` ranks an item last (excluded items).
    k : int, default=20
        Cut-off; values above ``n_items`` rank all items.
    average : bool, default=True
        Return the mean over users with at least one relevant item; else one value per user
        (NaN for users without relevant items).

    Returns
    -------
    recall : float or ndarray of shape (n_users,)

    Examples
    --------
    >>> from skae.metrics import recall_at_k
    >>> recall_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.5]], k=2)
    0.5
    """
    y_true, y_score = _check_inputs(y_true, y_score, k)
    hits, n_rel = _ranked_hits(y_true, y_score, k)
    return _finish(hits.sum(axis=1) / np.maximum(np.minimum(k, n_rel), 1), n_rel, average)


def precision_at_k(y_true, y_score, *, k=20, average=True):
    """Share of the top ``k`` items that are relevant: ``hits@k / k``.

    Parameters and return value as :func:`recall_at_k`.

    Examples
    --------
    >>> from skae.metrics import precision_at_k
    >>> precision_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.5]], k=2)
    0.5
    """
    y_true, y_score = _check_inputs(y_true, y_score, k)
    hits, n_rel = _ranked_hits(y_true, y_score, k)
    return _finish(hits.sum(axis=1) / k, n_rel, average)


def hit_rate_at_k(y_true, y_score, *, k=20, average=True):
    """1 when at least one relevant item is in the top ``k``, else 0 (HR@k).

    Parameters and return value as :func:`recall_at_k`.

    Examples
    --------
    >>> from skae.metrics import hit_rate_at_k
    >>> hit_rate_at_k([[1, 0, 0, 0], [0, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.5]] * 2, k=2)
    0.5
    """
    y_true, y_score = _check_inputs(y_true, y_score, k)
    hits, n_rel = _ranked_hits(y_true, y_score, k)
    return _finish(hits.any(axis=1).astype(float), n_rel, average)


def ndcg_at_k(y_true, y_score, *, k=100, average=True):
    """Normalised discounted cumulative gain at ``k`` with binary relevance.

    ``DCG@k = sum_{r < k} rel_r / log2(r + 2)`` over the ranking ``r = 0, 1, ...``, divided by
    the DCG of an ideal ranking, ``sum_{r < min(k, n_relevant)} 1 / log2(r + 2)``
    (Järvelin & Kekäläinen, 2002; Liang et al., 2018, sec. 4.3).

    Parameters and return value as :func:`recall_at_k` (default ``k=100``).

    Examples
    --------
    >>> from skae.metrics import ndcg_at_k
    >>> round(ndcg_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.5]], k=3), 4)
    0.6131
    """
    y_true, y_score = _check_inputs(y_true, y_score, k)
    hits, n_rel = _ranked_hits(y_true, y_score, k)
    discount = 1.0 / np.log2(np.arange(hits.shape[1]) + 2.0)
    dcg = hits @ discount
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_rel, hits.shape[1])]
    return _finish(dcg / np.where(ideal > 0, ideal, 1.0), n_rel, average)


RANKING_METRICS = {
    "ndcg": ndcg_at_k,
    "recall": recall_at_k,
    "precision": precision_at_k,
    "hit_rate": hit_rate_at_k,
}


def mask_seen(scores, X):
    """Set ``scores[u, i]`` to ``-inf`` wherever ``X[u, i]`` is non-zero (in place); return it."""
    if sp.issparse(X):
        coo = sp.coo_matrix(X)
        nz = coo.data != 0
        scores[coo.row[nz], coo.col[nz]] = -np.inf
    else:
        scores[np.asarray(X) != 0] = -np.inf
    return scores


class RankingScorer:
    """A scorer ``scorer(estimator, X, y=None)`` for top-N recommenders; see
    :func:`make_ranking_scorer`."""

    def __init__(self, metric, k, holdout_fraction, random_state):
        self.metric = metric
        self.k = k
        self.holdout_fraction = holdout_fraction
        self.random_state = random_state

    def __call__(self, estimator, X, y=None):
        if y is None:
            foldin, holdout = split_interactions(
                X, holdout_fraction=self.holdout_fraction, random_state=self.random_state
            )
        else:
            foldin, holdout = X, y
        scores = mask_seen(np.array(estimator.predict_scores(foldin), dtype=np.float64), foldin)
        return self.metric(holdout, scores, k=self.k)

    def __repr__(self):
        name = getattr(self.metric, "__name__", repr(self.metric))
        return (f"make_ranking_scorer({name}, k={self.k}, "
                f"holdout_fraction={self.holdout_fraction}, random_state={self.random_state})")


def make_ranking_scorer(metric="ndcg", *, k=100, holdout_fraction=0.2, random_state=0):
    """A scorer for :class:`~sklearn.model_selection.GridSearchCV` and ``cross_val_score``.

    ``scorer(estimator, X, y=None)`` follows the strong-generalization protocol on the users of
    ``X`` (rows that the search held out of ``fit``): it holds out ``holdout_fraction`` of each
    user's interactions (:func:`skae.model_selection.split_interactions`, with a fixed
    ``random_state`` so that every candidate sees the same split), scores the rest with
    ``estimator.predict_scores``, ranks the unseen items and returns ``metric`` at ``k``.
    When ``y`` is given, ``X`` is the fold-in part and ``y`` the held-out part.

    Parameters
    ----------
    metric : {"ndcg", "recall", "precision", "hit_rate"} or callable, default="ndcg"
        A name from :data:`RANKING_METRICS` or a function ``metric(y_true, y_score, k=k)``.
    k : int, default=100
    holdout_fraction : float, default=0.2
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skae import EASE
    >>> from skae.metrics import make_ranking_scorer
    >>> X = (np.random.RandomState(0).rand(40, 12) > 0.6).astype(np.float32)
    >>> search = GridSearchCV(EASE(), {"alpha": [1.0, 100.0]}, cv=2,
    ...                       scoring=make_ranking_scorer("recall", k=5)).fit(X)
    >>> sorted(search.best_params_)
    ['alpha']
    """
    if isinstance(metric, str):
        if metric not in RANKING_METRICS:
            raise ValueError(
                f"Unknown ranking metric {metric!r}; expected one of {sorted(RANKING_METRICS)} "
                "or a callable."
            )
        metric = RANKING_METRICS[metric]
    elif not callable(metric):
        raise ValueError(f"metric must be a string or a callable, got {metric!r}.")
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if not isinstance(holdout_fraction, Real) or not 0 < holdout_fraction < 1:
        raise ValueError(f"holdout_fraction must be in (0, 1), got {holdout_fraction!r}.")
    return RankingScorer(metric, k, holdout_fraction, random_state)
