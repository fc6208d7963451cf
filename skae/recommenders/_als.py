"""Closed-form (alternating least squares) updates of latent factors, shared by the hybrid
recommenders.

With the factors of one side fixed, the factors of each user (or item) of the other side solve
a small ridge regression on the entries of its row. :func:`solve_rows` does all rows at once:
the per-row Gram matrices ``sum_j w_rj y_j y_j^T`` are one sparse-dense product of the
weights with the row-wise outer products of ``Y`` (``n x k^2``), then one batched solve.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["solve_rows"]

# Rows solved at a time: bounds the memory of the (rows, k, k) Gram matrices.
_CHUNK = 2048


def solve_rows(weights, weighted_targets, Y, reg, prior=None, base_gram=None, *,
               noise=None, rng=None):
    """Solve ``(base_gram + sum_j w_rj y_j y_j^T + reg I) x_r = sum_j t_rj y_j + reg p_r``.

    For each row ``r`` of ``weights``: the ridge regression of its targets on the rows
    ``y_j`` of ``Y``, with the penalty ``reg ||x_r - p_r||^2`` toward a prior mean ``p_r``.
    With ``noise`` (a variance ``s^2``), each row is instead drawn from the Gaussian
    posterior of which that solution is the mean: with ratings ``t_rj ~ N(x_r . y_j, s^2)``
    and the prior ``x_r ~ N(p_r, s^2 / reg)``, ``x_r`` given ``Y`` is normal with that mean
    and covariance ``s^2 G_r^-1``, ``G_r`` the matrix on the left (the Gibbs step of
    Bayesian PMF, Salakhutdinov & Mnih, ICML 2008, eq. 12-13).

    Parameters
    ----------
    weights : scipy.sparse matrix of shape (n_rows, n)
        Weight ``w_rj`` of each entry in the squared error (1 for plain least squares).
    weighted_targets : scipy.sparse matrix of shape (n_rows, n)
        ``t_rj``: the targets times their weights.
    Y : ndarray of shape (n, k)
        The fixed factors of the other side.
    reg : float or ndarray broadcastable to (n_rows, k)
        Ridge penalty (> 0): one for all, one per row (shape (n_rows, 1)) or one per
        coefficient (shape (k,)); the penalty is ``sum_c reg_rc (x_rc - p_rc)^2``.
    prior : ndarray of shape (n_rows, k), default=None
        Prior means ``p_r``; None means 0.
    base_gram : ndarray of shape (k, k), default=None
        A Gram matrix shared by every row (implicit feedback: ``b Y^T Y``).
    noise : float, default=None
        Noise variance ``s^2`` of a posterior draw; None solves (the posterior mean).
    rng : numpy.random.Generator, default=None
        Source of the standard normal draws when ``noise`` is given.

    Returns
    -------
    X : ndarray of shape (n_rows, k), dtype float64
    """
    weights = sp.csr_matrix(weights, dtype=np.float64)
    weighted_targets = sp.csr_matrix(weighted_targets, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n_rows, k = weights.shape[0], Y.shape[1]
    outer = (Y[:, :, None] * Y[:, None, :]).reshape(Y.shape[0], k * k)
    reg = np.broadcast_to(np.asarray(reg, dtype=np.float64), (n_rows, k))
    rhs = np.asarray(weighted_targets @ Y)
    if prior is not None:
        rhs += reg * prior
    diag = np.arange(k)
    out = np.empty((n_rows, k))
    for start in range(0, n_rows, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n_rows))
        gram = np.asarray(weights[rows] @ outer).reshape(-1, k, k)
        gram[:, diag, diag] += reg[rows]
        if base_gram is not None:
            gram += base_gram
        if noise is None:
            out[rows] = np.linalg.solve(gram, rhs[rows][..., None])[..., 0]
            continue
        # x = G^-1 b + s L^-T z with G = L L^T: the covariance of L^-T z is G^-1.
        chol = np.linalg.cholesky(gram)
        half = np.linalg.solve(chol, rhs[rows][..., None])
        half += np.sqrt(noise) * rng.standard_normal(half.shape)
        out[rows] = np.linalg.solve(np.swapaxes(chol, -1, -2), half)[..., 0]
    return out
