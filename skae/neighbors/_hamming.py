"""Hamming ranking of binary codes by one matrix product per block of queries.

For bit vectors ``q`` and ``d``, ``hamming(q, d) = q.(1 - d) + (1 - q).d``: the distances of
a block of queries to the whole database are one float32 matrix product (exact: every value
is an integer far below 2**24), which BLAS computes faster than a loop over pairs of codes.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_array

__all__ = ["hamming_kneighbors"]

# Sort keys held at once: a block of queries x the database.
_BLOCK_BYTES = 64 * 2**20
# Integers that float32 represents exactly (the keys of the one-product path stay below it).
_FLOAT32_EXACT = 2**24


def _check_bits(X, name):
    X = check_array(X, dtype=None, input_name=name)
    if X.dtype == bool:
        return X.astype(np.float32)
    if X.dtype.kind not in "biuf" or not np.isin(X, (0, 1)).all():
        raise ValueError(f"{name} must hold bits (0/1 or bool), e.g. the output of "
                         "DocumentAutoencoder(binary=True).transform.")
    return X.astype(np.float32)


def hamming_kneighbors(X_query, X_database, n_neighbors=100, *, return_distance=True):
    """The ``n_neighbors`` database codes nearest to each query code in Hamming distance.

    Ties are broken by database index (lower first), so results are deterministic; shuffle
    the database beforehand if its order is meaningful. The same distances as
    ``NearestNeighbors(metric="hamming", algorithm="brute")`` (which returns them as
    fractions of the bits), in a deterministic order within ties, and faster (the benchmarks
    page has timings).

    Parameters
    ----------
    X_query : array-like of shape (n_queries, n_bits)
        Binary codes (0/1 or bool) of the queries.
    X_database : array-like of shape (n_database, n_bits)
        Binary codes of the documents searched.
    n_neighbors : int, default=100
        Documents returned per query; at most ``n_database`` (more are cut to it).
    return_distance : bool, default=True
        Also return the distances.

    Returns
    -------
    distances : ndarray of shape (n_queries, n_neighbors), dtype int64
        Number of differing bits, ascending; only if ``return_distance``.
    indices : ndarray of shape (n_queries, n_neighbors), dtype int64
        Database indices of the nearest codes, nearest first.

    Examples
    --------
    >>> from skae.neighbors import hamming_kneighbors
    >>> database = [[0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 0, 0]]
    >>> distances, indices = hamming_kneighbors([[1, 1, 1, 0]], database, n_neighbors=2)
    >>> distances.tolist(), indices.tolist()
    ([[1, 1]], [[1, 2]])
    """
    if not isinstance(n_neighbors, Integral) or isinstance(n_neighbors, bool) or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors!r}.")
    Q = _check_bits(X_query, "X_query")
    D = _check_bits(X_database, "X_database")
    if Q.shape[1] != D.shape[1]:
        raise ValueError(f"X_query has {Q.shape[1]} bits and X_database {D.shape[1]}; the codes "
                         "must have the same length.")
    n_db = D.shape[0]
    k = min(int(n_neighbors), n_db)
    # Sort keys ``distance * n_db + index`` order by distance, then by index, so ties break
    # the same way every time (argpartition alone is not stable). With ``[q, 1 - q, 1]`` and
    # ``[(1 - d) n_db, d n_db, index]`` one matrix product gives the keys themselves, exact in
    # float32 while they stay below 2**24; beyond that they are built in int64.
    exact_in_float32 = (Q.shape[1] + 1) * n_db < _FLOAT32_EXACT
    index = np.arange(n_db, dtype=np.float32 if exact_in_float32 else np.int64)
    if exact_in_float32:
        QA = np.hstack([Q, 1 - Q, np.ones((Q.shape[0], 1), np.float32)])
        DA = np.hstack([(1 - D) * n_db, D * n_db, index[:, None]]).T.copy()
    else:
        QA, DA = np.hstack([Q, 1 - Q]), np.hstack([1 - D, D]).T.copy()
    indices = np.empty((Q.shape[0], k), dtype=np.int64)
    keys = np.empty((Q.shape[0], k), dtype=np.int64)
    step = max(1, _BLOCK_BYTES // (8 * max(n_db, 1)))
    for start in range(0, Q.shape[0], step):
        rows = slice(start, start + step)
        key = QA[rows] @ DA
        if not exact_in_float32:
            key = np.rint(key).astype(np.int64)
            key *= n_db
            key += index
        top = (np.argpartition(key, k - 1, axis=1)[:, :k] if k < n_db
               else np.broadcast_to(np.arange(n_db), key.shape))
        top_keys = np.take_along_axis(key, top, 1)
        order = np.argsort(top_keys, axis=1)
        indices[rows] = np.take_along_axis(top, order, 1)
        keys[rows] = np.rint(np.take_along_axis(top_keys, order, 1)).astype(np.int64)
    if not return_distance:
        return indices
    return keys // n_db, indices
