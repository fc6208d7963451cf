"""EASE: the closed-form linear autoencoder of Steck (WWW 2019, "Embarrassingly Shallow
Autoencoders for Sparse Data")."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from skae._docs import fill_doc
from skae.recommenders._topn_base import BaseTopNRecommender
from skae.utils._sklearn_compat import Interval

__all__ = ["EASE"]

_GIB = 2.0**30
_BLOCK = 1024


def _symmetrize_upper(P):
    """Copy the upper triangle of ``P`` onto its lower triangle, in place, block by block.

    LAPACK's ``potri`` only writes the upper triangle; mirroring it in blocks keeps the extra
    memory to one block instead of a second n x n matrix.
    """
    n = P.shape[0]
    for s in range(0, n, _BLOCK):
        e = min(s + _BLOCK, n)
        P[s:e, :s] = P[:s, s:e].T
        block = P[s:e, s:e]
        P[s:e, s:e] = np.triu(block) + np.triu(block, 1).T


def _gram(X):
    """``X^T X`` as a dense float32 array (sparse products stay sparse until the end)."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
        return np.asarray((X.T @ X).toarray(), dtype=np.float32)
    X = np.asarray(X, dtype=np.float32)
    return X.T @ X


@fill_doc
class EASE(BaseTopNRecommender):
    """Embarrassingly shallow autoencoder: a closed-form linear item-item model.

    EASE learns an item-item weight matrix ``B`` with a zero diagonal that minimises
    ``||X - X B||_F^2 + alpha ||B||_F^2`` (Steck, 2019, eq. 1). The solution is closed form
    (eq. 8): with ``P = (X^T X + alpha I)^{-1}``, ``B = I - P diagMat(1 / diag(P))``, i.e.
    ``B_ij = -P_ij / P_jj`` off the diagonal. There is no training loop: :meth:`fit` forms the
    Gram matrix and inverts it (Cholesky, float32). Scores are ``X B``: a user's row is all the
    model needs, so new users are folded in for free.

    **Memory.** ``B`` is a dense ``n_items x n_items`` float32 matrix, and forming the Gram
    matrix needs a transient second one: :meth:`fit` needs about ``8 * n_items**2`` bytes and
    refuses, with a :class:`MemoryError` that says so, before allocating anything when that
    exceeds ``memory_limit_gb``.

    Parameters
    ----------
    alpha : float, default=500.0
        L2 regularisation ``lambda`` of the weights (Steck's value for ML-20M and Netflix).
        Larger data sets usually want larger values.

    memory_limit_gb : float or None, default=4.0
        Most memory, in GiB, that :meth:`fit` may allocate (estimated as
        ``8 * n_items**2`` bytes); None disables the check.

    Attributes
    ----------
    coef_ : ndarray of shape (n_items, n_items), dtype float32
        The weights ``B``; ``coef_[i, j]`` is the weight of item ``i`` in the score of item
        ``j``, and the diagonal is zero.

    n_features_in_ : int
        Number of items seen during :meth:`fit`.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the items seen during :meth:`fit`, when ``X`` has string column names.

    {topn_id_attributes}

    See Also
    --------
    MultVAE : A nonlinear, variational autoencoder recommender.

    Notes
    -----
    ``X`` is used as given; binarise it for implicit feedback as in the paper.
    :meth:`transform` returns the item scores ``X B`` (EASE has no latent space), like
    :meth:`predict_scores`.

    References
    ----------
    .. [1] H. Steck, "Embarrassingly shallow autoencoders for sparse data", WWW 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import EASE
    >>> X = (np.random.RandomState(0).rand(30, 6) > 0.5).astype(np.float32)
    >>> model = EASE(alpha=10.0).fit(X)
    >>> model.coef_.shape, float(np.abs(np.diag(model.coef_)).max())
    ((6, 6), 0.0)
    >>> model.recommend(X[:2], n=2).shape
    (2, 2)
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "memory_limit_gb": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, alpha=500.0, *, memory_limit_gb=4.0):
        self.alpha = alpha
        self.memory_limit_gb = memory_limit_gb

    def _check_memory(self, n_items):
        needed = 8.0 * n_items**2
        if self.memory_limit_gb is not None and needed > self.memory_limit_gb * _GIB:
            raise MemoryError(
                f"EASE needs about {needed / _GIB:.2f} GiB for n_items={n_items} (two dense "
                f"float32 n_items x n_items matrices), more than memory_limit_gb="
                f"{self.memory_limit_gb}. Raise memory_limit_gb if the machine has the memory, "
                "or drop rare items."
            )

    def _fit(self, X):
        X = self._validate_interactions(X, reset=True)
        n_items = X.shape[1]
        self._check_memory(n_items)
        G = _gram(X)
        G[np.diag_indices(n_items)] += np.float32(self.alpha)
        # G + alpha I is symmetric positive definite: a Cholesky factorisation and inversion
        # (potrf + potri) cost half an LU inverse and work in place.
        potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (G,))
        factor, info = potrf(G, lower=False, overwrite_a=True, clean=False)
        if info == 0:
            P, info = potri(factor, lower=False, overwrite_c=True)
        if info != 0:
            raise ValueError(
                f"X^T X + alpha I is not numerically positive definite in float32 (LAPACK info="
                f"{info}); use a larger alpha (got {self.alpha})."
            )
        _symmetrize_upper(P)
        # P is symmetric, so its transpose, a C-ordered view of LAPACK's Fortran-ordered
        # result, is P itself: keep that view, so coef_ is C-contiguous without a copy and
        # ``X @ coef_`` in recommend does not copy the n_items x n_items matrix per block
        # (measured: 244 MiB copied per block for 8,000 items).
        P = P.T
        diag = np.diag(P).copy()
        P /= -diag  # column j divided by -P_jj: B = I - P diagMat(1 / diag(P)), eq. 8
        P[np.diag_indices(n_items)] = 0.0
        self.coef_ = P
        self._n_features_out = n_items
        return self

    def _predict_scores(self, X):
        if sp.issparse(X):
            return np.asarray(sp.csr_matrix(X, dtype=np.float32) @ self.coef_, dtype=np.float32)
        return np.asarray(X, dtype=np.float32) @ self.coef_

    def _transform(self, X):
        return self._predict_scores(X)
