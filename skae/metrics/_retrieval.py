"""Precision of document retrieval: queries against a database, relevance by shared labels.

A retrieved document is relevant to a query when the two share a label: the same class for
single-label data (20 Newsgroups), at least one common topic for multi-label data
(Reuters-21578), the rule of the semantic-hashing literature (Salakhutdinov & Hinton 2009;
Chaidaroon & Fang 2017; Shen et al. 2018). The ranking itself comes from any search:
``NearestNeighbors(...).kneighbors`` on real codes, :func:`skae.neighbors.hamming_kneighbors`
on binary ones. Queries without any relevant document in the database are left out of the
average (their per-query value is NaN), as rows without relevant items are in
:mod:`skae.metrics`' ranking metrics.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

from skae.metrics._ranking import _finish

__all__ = ["retrieval_precision_at_k", "retrieval_precision_at_recall"]

_CHUNK = 1024  # queries at a time: bounds the (queries x database) relevance block


def _check_labels(y, name):
    """Labels as a 1-D array (one class per document) or a CSR indicator matrix."""
    if sp.issparse(y) or np.ndim(y) == 2:
        y = check_array(y, accept_sparse="csr", dtype=None, input_name=name)
        if y.dtype.kind not in "biu" and not (sp.issparse(y) and y.dtype.kind == "f"):
            if np.any((y.data if sp.issparse(y) else y) % 1 != 0):
                raise ValueError(f"{name} as a 2-D array must be a 0/1 label indicator.")
        return sp.csr_matrix((sp.csr_matrix(y) != 0).astype(np.float32))
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per document) or a 2-D indicator "
                         f"matrix, got shape {y.shape}.")
    return y


def _check(y_query, y_database, neighbors):
    y_query = _check_labels(y_query, "y_query")
    y_database = _check_labels(y_database, "y_database")
    if (y_query.ndim == 1) != (y_database.ndim == 1):
        raise ValueError("y_query and y_database must both be 1-D labels or both be 2-D label "
                         "indicators.")
    if y_query.ndim == 2 and y_query.shape[1] != y_database.shape[1]:
        raise ValueError(f"y_query has {y_query.shape[1]} label columns and y_database "
                         f"{y_database.shape[1]}; they must be the same labels.")
    neighbors = check_array(neighbors, dtype=None, input_name="neighbors")
    if neighbors.dtype.kind not in "iu":
        raise ValueError(f"neighbors must hold integer indices into the database, got dtype "
                         f"{neighbors.dtype}.")
    n_db = y_database.shape[0]
    if neighbors.shape[0] != y_query.shape[0]:
        raise ValueError(f"neighbors has {neighbors.shape[0]} rows for {y_query.shape[0]} "
                         "queries.")
    if neighbors.size and (neighbors.min() < 0 or neighbors.max() >= n_db):
        raise ValueError(f"neighbors holds indices outside the database of {n_db} documents "
                         f"(range [{neighbors.min()}, {neighbors.max()}]).")
    return y_query, y_database, neighbors


def _relevance(y_query, y_database, rows):
    """Dense boolean (len(rows), n_database): which database documents share a label."""
    if y_query.ndim == 1:
        return y_query[rows, None] == y_database[None, :]
    return (y_query[rows] @ y_database.T).toarray() > 0


def _ranked_hits(y_query, y_database, neighbors):
    """``hits[q, r]``: whether the r-th retrieved document is relevant; and each n_relevant."""
    n_q = neighbors.shape[0]
    hits = np.zeros(neighbors.shape, dtype=bool)
    n_rel = np.zeros(n_q, dtype=np.int64)
    for start in range(0, n_q, _CHUNK):
        rows = np.arange(start, min(start + _CHUNK, n_q))
        rel = _relevance(y_query, y_database, rows)
        hits[rows] = np.take_along_axis(rel, neighbors[rows].astype(np.intp), axis=1)
        n_rel[rows] = rel.sum(axis=1)
    return hits, n_rel


_UNDEFINED = ("No query has a relevant document in the database (one that shares a label); "
              "precision is undefined.")


def retrieval_precision_at_k(y_query, y_database, neighbors, *, k=100, average=True):
    """Share of the first ``k`` retrieved documents that share a label with the query.

    Parameters
    ----------
    y_query : array-like of shape (n_queries,) or {array-like, sparse matrix} of shape \
(n_queries, n_labels)
        Class of each query, or a 0/1 indicator of its labels (multi-label data).
    y_database : array-like of shape (n_database,) or {array-like, sparse matrix} of shape \
(n_database, n_labels)
        The same for the database documents.
    neighbors : array-like of int of shape (n_queries, n_retrieved)
        Database indices retrieved for each query, best first, ``n_retrieved >= k`` (e.g.
        ``NearestNeighbors(n_neighbors=k).fit(H_db).kneighbors(H_q)[1]``).
    k : int, default=100
        Cut-off.
    average : bool, default=True
        Return the mean over queries that have a relevant document in the database; else one
        value per query (NaN for the others).

    Returns
    -------
    precision : float or ndarray of shape (n_queries,)

    Examples
    --------
    >>> from skae.metrics import retrieval_precision_at_k
    >>> y_db = [0, 0, 1, 1]
    >>> neighbors = [[0, 2, 1], [3, 2, 0]]  # ranked database indices of two queries
    >>> retrieval_precision_at_k([0, 1], y_db, neighbors, k=2)
    0.75
    """
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    y_query, y_database, neighbors = _check(y_query, y_database, neighbors)
    if neighbors.shape[1] < k:
        raise ValueError(f"neighbors has {neighbors.shape[1]} documents per query; "
                         f"precision at k={k} needs at least k.")
    hits, n_rel = _ranked_hits(y_query, y_database, neighbors[:, :k])
    return _finish(hits.mean(axis=1), n_rel, average, _UNDEFINED)


def retrieval_precision_at_recall(y_query, y_database, neighbors, *,
                                  recall=(0.01, 0.05, 0.1, 0.2, 0.5, 1.0), average=True):
    """Precision at fixed recall levels: the points of a precision-recall curve.

    For a query with ``n`` relevant documents, the precision at recall ``r`` is
    ``m / rank``, where ``m = ceil(r * n)`` and ``rank`` is the number of documents retrieved
    when the ``m``-th relevant one comes up (Salakhutdinov & Hinton 2009 plot these curves).

    Parameters
    ----------
    y_query, y_database : array-like or sparse matrix
        As in :func:`retrieval_precision_at_k`.
    neighbors : array-like of int of shape (n_queries, n_database)
        The whole database ranked for each query, best first (e.g.
        ``np.argsort(-similarities, axis=1)``). A shorter ranking gives NaN at the levels it
        does not reach.
    recall : sequence of float in (0, 1], default=(0.01, 0.05, 0.1, 0.2, 0.5, 1.0)
        The recall levels.
    average : bool, default=True
        Mean over queries (those with a relevant document, at the levels their ranking
        reaches); else one row per query.

    Returns
    -------
    precision : ndarray of shape (n_levels,) or (n_queries, n_levels)

    Examples
    --------
    >>> from skae.metrics import retrieval_precision_at_recall
    >>> # relevant documents 0 and 1 come up at ranks 1 and 3
    >>> retrieval_precision_at_recall([0], [0, 0, 1], [[0, 2, 1]], recall=(0.5, 1.0))
    array([1.        , 0.66666667])
    """
    levels = np.asarray(recall, dtype=float).ravel()
    if levels.size == 0 or not np.all((levels > 0) & (levels <= 1)):
        raise ValueError(f"recall levels must be in (0, 1], got {recall!r}.")
    y_query, y_database, neighbors = _check(y_query, y_database, neighbors)
    hits, n_rel = _ranked_hits(y_query, y_database, neighbors)
    found = np.cumsum(hits, axis=1)
    needed = np.ceil(levels[None, :] * n_rel[:, None] - 1e-9).astype(np.int64)  # (n_q, L)
    out = np.full(needed.shape, np.nan)
    for j in range(levels.size):
        # First rank (1-based) at which ``needed`` relevant documents have come up.
        reached = found >= np.maximum(needed[:, j], 1)[:, None]
        ok = reached.any(axis=1) & (n_rel > 0)
        rank = reached.argmax(axis=1) + 1
        out[ok, j] = needed[ok, j] / rank[ok]
    if not average:
        return np.where((n_rel > 0)[:, None], out, np.nan)
    if not (n_rel > 0).any():
        raise ValueError(_UNDEFINED)
    with np.errstate(all="ignore"):
        return np.array([np.nanmean(col) if np.isfinite(col).any() else np.nan
                         for col in out.T])
