"""The strong-generalization protocol of Liang et al. (WWW 2018, sec. 4.2) as two functions.

Users, not ratings, are split: the model is trained on the interactions of the training users;
each held-out user shows it part of their interactions (the *fold-in* part) and is evaluated on
the rest, which the model has never seen for that user.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_non_negative

__all__ = ["split_interactions", "strong_generalization_split"]


def _check_interactions(X, whom):
    X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype="numeric")
    check_non_negative(X, whom)
    return X


def split_interactions(X, *, holdout_fraction=0.2, random_state=None):
    """Split each row's interactions into a fold-in part and a held-out part.

    A row with ``n_u >= 2`` non-zero entries gets ``max(1, floor(holdout_fraction * n_u))`` of
    them, drawn uniformly at random, held out; a row with fewer keeps everything in the fold-in
    part. For ``n_u >= 5`` this is exactly Liang et al.'s rule (they drop users with fewer than 5
    interactions beforehand).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_users, n_items)
        Non-negative interactions (binary or counts); zeros mean "no interaction".
    holdout_fraction : float, default=0.2
        Share of each row's interactions to hold out, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Which interactions are held out.

    Returns
    -------
    X_foldin, X_holdout : sparse CSR matrices or ndarrays of shape (n_users, n_items)
        Disjoint, with ``X_foldin + X_holdout == X``; sparse (CSR) when ``X`` is sparse.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.model_selection import split_interactions
    >>> X = np.array([[1, 1, 1, 1, 1, 0], [0, 1, 0, 0, 0, 1]])
    >>> foldin, holdout = split_interactions(X, holdout_fraction=0.4, random_state=0)
    >>> holdout.sum(axis=1), (foldin + holdout == X).all()
    (array([2, 1]), np.True_)
    """
    if not isinstance(holdout_fraction, Real) or not 0 < holdout_fraction < 1:
        raise ValueError(f"holdout_fraction must be in (0, 1), got {holdout_fraction!r}.")
    X = _check_interactions(X, "split_interactions")
    rng = check_random_state(random_state)
    dense = not sp.issparse(X)
    csr = sp.csr_matrix(X, copy=True)
    csr.eliminate_zeros()
    csr.sort_indices()
    counts = np.diff(csr.indptr)
    n_hold = np.where(counts >= 2, np.maximum(1, (holdout_fraction * counts).astype(np.int64)), 0)
    rows = np.repeat(np.arange(csr.shape[0]), counts)
    # A random key per interaction; within each row the n_hold smallest keys are held out.
    order = np.lexsort((rng.random_sample(csr.nnz), rows))
    rank = np.empty(csr.nnz, dtype=np.int64)
    rank[order] = np.arange(csr.nnz) - csr.indptr[rows[order]]
    held = rank < n_hold[rows]
    parts = []
    for mask in (~held, held):
        part = csr.copy()
        part.data = np.where(mask, part.data, 0).astype(csr.dtype, copy=False)
        part.eliminate_zeros()
        parts.append(part.toarray() if dense else part)
    return tuple(parts)


def strong_generalization_split(X, *, test_size=0.2, holdout_fraction=0.2, random_state=None,
                                return_indices=False):
    """Hold out users, and split each held-out user's interactions into fold-in and test parts.

    This is the strong-generalization protocol of Liang et al. (2018, sec. 4.2): fit on
    ``X_train``, score ``X_foldin`` (the held-out users' visible interactions, folded in without
    retraining), and compare the top of the ranking with ``X_holdout`` using
    :func:`skae.metrics.ndcg_at_k` and friends, excluding the fold-in items from the ranking.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_users, n_items)
        Non-negative user x item interactions.
    test_size : float or int, default=0.2
        Held-out users: a fraction of the users (float) or a number of users (int), as in
        :func:`sklearn.model_selection.train_test_split`.
    holdout_fraction : float, default=0.2
        Share of each held-out user's interactions to evaluate on; see
        :func:`split_interactions`.
    random_state : int, RandomState instance or None, default=None
        Which users and which interactions are held out.
    return_indices : bool, default=False
        Also return the (sorted) row indices of the training and the held-out users.

    Returns
    -------
    X_train : sparse CSR matrix or ndarray of shape (n_train_users, n_items)
    X_foldin : sparse CSR matrix or ndarray of shape (n_test_users, n_items)
    X_holdout : sparse CSR matrix or ndarray of shape (n_test_users, n_items)
    train_users, test_users : ndarray of int
        Only when ``return_indices`` is True.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.model_selection import strong_generalization_split
    >>> X = (np.random.RandomState(0).rand(10, 8) > 0.5).astype(float)
    >>> X_train, X_foldin, X_holdout = strong_generalization_split(X, test_size=3,
    ...                                                            random_state=0)
    >>> X_train.shape, X_foldin.shape, X_holdout.shape
    ((7, 8), (3, 8), (3, 8))
    """
    X = _check_interactions(X, "strong_generalization_split")
    rng = check_random_state(random_state)
    train_users, test_users = train_test_split(
        np.arange(X.shape[0]), test_size=test_size, random_state=rng
    )
    train_users, test_users = np.sort(train_users), np.sort(test_users)
    if sp.issparse(X):
        X = sp.csr_matrix(X)
    X_foldin, X_holdout = split_interactions(
        X[test_users], holdout_fraction=holdout_fraction, random_state=rng
    )
    out = (X[train_users], X_foldin, X_holdout)
    return out + (train_users, test_users) if return_indices else out
