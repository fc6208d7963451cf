"""Label propagation on a k-nearest-neighbour graph of learned features.

The transductive step of Iscen et al., "Label Propagation for Deep Semi-supervised
Learning", CVPR 2019: the labels of the labelled rows are diffused over a graph of the
network's features of every row (Zhou et al., "Learning with local and global consistency",
NIPS 2004), and each row gets the class the diffusion gives it most, with a confidence.
"""

import inspect

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import cg
from sklearn.neighbors import NearestNeighbors

__all__ = ["propagate_labels"]

#: Diffusion constants of Iscen et al. (2019): alpha of (I - alpha S)^-1 Y, the power gamma
#: of the cosine similarities that weight the graph's edges, and their 20 conjugate-gradient
#: iterations (with alpha this close to 1 the exact solution is not needed, the ranking of
#: the classes in each row settles first).
ALPHA, GAMMA, CG_ITERATIONS = 0.99, 3, 20
# scipy 1.12 renamed cg's relative tolerance from ``tol`` to ``rtol`` (and later removed ``tol``).
_CG_TOLERANCE = "rtol" if "rtol" in inspect.signature(cg).parameters else "tol"


def propagate_labels(features, y_code, n_classes, n_neighbors, alpha=ALPHA, gamma=GAMMA):
    """Diffuse the labels of the labelled rows over a kNN graph of ``features``.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        The features of every row, labelled or not.
    y_code : ndarray of shape (n_samples,)
        Class index of each labelled row, -1 for an unlabelled row.
    n_classes : int
        Number of classes.
    n_neighbors : int
        Neighbours of each row in the graph (at most ``n_samples - 1`` are used).
    alpha : float, default=0.99
        Weight of the graph against the labels in the diffusion, in (0, 1).
    gamma : float, default=3
        Power of the cosine similarities that weight the edges.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int64
        The class of largest diffused score of each row; a labelled row keeps its label.
    confidence : ndarray of shape (n_samples,), dtype float64
        ``1 - H(p) / log(n_classes)`` for the row-normalised diffused scores ``p`` (Iscen et
        al.'s certainty weight): 1 for a row whose score goes to one class only, 0 for a row
        the labels do not reach or reach evenly; 1 for a labelled row.
    """
    n = len(features)
    F = np.asarray(features, dtype=np.float64)
    # Cosine similarity: the Euclidean neighbours of unit vectors.
    F = F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)
    k = min(int(n_neighbors), n - 1)
    Y = np.zeros((n, n_classes))
    labelled = y_code >= 0
    # Each class's labels carry the same total mass, whatever its number of labelled rows.
    counts = np.bincount(y_code[labelled], minlength=n_classes)
    Y[labelled, y_code[labelled]] = 1.0 / counts[y_code[labelled]]
    if k < 1:
        Z = Y
    else:
        dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)
        # Drop each row's own entry (the first neighbour, unless duplicates tie with it).
        keep = idx != np.arange(n)[:, None]
        keep[keep.sum(axis=1) > k, -1] = False
        dist, idx = dist[keep].reshape(n, k), idx[keep].reshape(n, k)
        similarity = np.maximum(1 - dist ** 2 / 2, 0) ** gamma
        W = sp.csr_matrix((similarity.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)),
                          shape=(n, n))
        W = W + W.T
        degree = np.asarray(W.sum(axis=1)).ravel()
        d = 1 / np.sqrt(np.where(degree > 0, degree, 1))
        S = sp.diags(d) @ W @ sp.diags(d)
        A = (sp.identity(n) - alpha * S).tocsr()
        Z = np.column_stack([cg(A, Y[:, c], maxiter=CG_ITERATIONS, **{_CG_TOLERANCE: 1e-6})[0]
                             if counts[c] else np.zeros(n) for c in range(n_classes)])
    Z = np.maximum(Z, 0)
    total = Z.sum(axis=1, keepdims=True)
    reached = total[:, 0] > 0
    p = np.where(reached[:, None], Z / np.where(total > 0, total, 1), 1.0 / n_classes)
    labels = p.argmax(axis=1).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0).sum(axis=1)
    confidence = np.clip(1 - entropy / np.log(n_classes), 0, 1)
    confidence[~reached] = 0
    labels[labelled], confidence[labelled] = y_code[labelled], 1.0
    return labels, confidence
