"""What :class:`~skae.StackedAutoencoderClassifier` does with its unlabelled rows: the losses
on their predictions, the pairing of every row with a labelled one in each minibatch, and the
class weights of propagated labels."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from skae._engine import StreamedRows
from skae.utils._memmap import is_memory_mapped

__all__ = ["UNLABELLED_LOSSES", "unlabelled_loss"]


#: Losses on the predictions of the unlabelled rows (``unlabelled_loss``).
UNLABELLED_LOSSES = ("entropy", "pseudo_label", "consistency", "label_propagation")


def _class_logits(scores):
    """Softmax logits of every class: the one binary logit ``s`` becomes ``(0, s)``."""
    if scores.shape[1] == 1:
        return torch.cat([torch.zeros_like(scores), scores], dim=1)
    return scores


def unlabelled_loss(kind, scores, target_scores=None, labels=None, weights=None):
    """Mean loss of the class ``scores`` (logits) of unlabelled rows.

    ``"entropy"``: the entropy of the predicted class distribution, which pushes the decision
    boundary away from dense regions of the unlabelled data (Grandvalet & Bengio, NIPS 2005).
    ``"pseudo_label"``: the cross-entropy of the predicted distribution against its own most
    probable class, taken as a fixed target (Lee, ICML 2013 workshop, which relates it to
    entropy minimisation). ``"consistency"``: the squared
    distance between the predicted distribution and that of ``target_scores``, a second pass
    of the same rows under other dropout masks, taken as a fixed target (the Pi-model of Laine
    & Aila, ICLR 2017; the fixed target as in Tarvainen & Valpola, NeurIPS 2017).
    ``"label_propagation"``: the cross-entropy against ``labels`` (class indices) found by
    label propagation, each row's term times its entry of ``weights`` (Iscen et al., CVPR
    2019), averaged over the rows.
    """
    log_p = F.log_softmax(_class_logits(scores), dim=1)
    if kind == "label_propagation":
        return (weights * F.nll_loss(log_p, labels, reduction="none")).mean()
    if kind == "entropy":
        return -(log_p.exp() * log_p).sum(dim=1).mean()
    if kind == "consistency":
        target = F.softmax(_class_logits(target_scores), dim=1).detach()
        return ((log_p.exp() - target) ** 2).sum(dim=1).mean()
    return F.nll_loss(log_p, log_p.detach().argmax(dim=1))


def _unlabelled_mask(y, mark):
    """Rows of ``y`` equal to ``mark`` (None: no row). A string never equals a number."""
    if mark is None:
        return np.zeros(len(y), dtype=bool)
    if y.dtype.kind == "O":
        return np.array([isinstance(v, str) == isinstance(mark, str) and v == mark for v in y],
                        dtype=bool)
    if isinstance(mark, str) != (y.dtype.kind in "US"):
        return np.zeros(len(y), dtype=bool)
    return np.asarray(y == mark, dtype=bool)


def _negative_numbers(y):
    """Rows of ``y`` that hold a negative number."""
    if y.dtype.kind in "iuf":
        return y < 0
    if y.dtype.kind == "O":
        return np.array([isinstance(v, Real) and not isinstance(v, bool) and v < 0 for v in y],
                        dtype=bool)
    return np.zeros(len(y), dtype=bool)


def _paired(X, y_code):
    """The arrays the engine serves: every row, and a labelled row beside each one.

    Each minibatch then holds ``B`` rows of the training data (for the reconstruction term)
    and ``B`` labelled rows (for the classification term), however few the labels: joint
    semi-supervised training draws both in every step (e.g. the ladder network, Rasmus et al.,
    NeurIPS 2015). The labelled rows are cycled, so each is used equally often (within one)
    in an epoch; the engine reshuffles the pairs every epoch. When every row is labelled the
    row is its own partner and only ``x`` and ``y`` are served.
    """
    labelled = np.flatnonzero(y_code >= 0)
    if len(labelled) == len(y_code):
        return {"x": X, "y": y_code}
    partner = labelled[np.arange(len(y_code)) % len(labelled)]
    return {"x": X, "y": y_code, "x_labelled": _rows_of(X, partner),
            "y_labelled": y_code[partner]}


def _rows_of(X, rows):
    """Rows ``rows`` of ``X``; of memory-mapped (or streamed) rows a lazy subset, read one
    minibatch at a time like ``X`` itself, never a copy of them all."""
    if isinstance(X, StreamedRows):
        return X.subset(rows)
    if not sp.issparse(X) and is_memory_mapped(X):
        return StreamedRows(X, np.float32, np.asarray(rows))
    return X[rows]


def _balanced_weights(labels, confidence, n_classes):
    """``confidence`` times the class weight ``n / (n_classes * count)`` of each row's label.

    Iscen et al. (CVPR 2019) weight each class inversely to its number of (pseudo-)labelled
    rows, so that a class the propagation over-assigns does not dominate the loss; the
    scale keeps the mean class weight at 1.
    """
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    balance = len(labels) / (n_classes * np.maximum(counts, 1))
    return (confidence * balance[labels]).astype(np.float32)


def _as_float32(X):
    """``X`` as C-contiguous, writeable float32 (dense) or float32 CSR, copied only if needed.

    The engine shares such an array's memory instead of copying it, so ``X`` and its labelled
    rows, when they are the same array, are held once.
    """
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float32)
    if is_memory_mapped(X):
        return X  # streamed by the engine one minibatch at a time, never copied whole
    return np.require(X, dtype=np.float32, requirements=["C", "W"])
