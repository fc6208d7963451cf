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

__all__ = ["UNLABELLED_LOSSES", "UNLABELLED_PARAMS", "network_agreement", "unlabelled_loss"]


#: Losses on the predictions of the unlabelled rows (``unlabelled_loss``).
UNLABELLED_LOSSES = ("entropy", "pseudo_label", "consistency", "label_propagation")

#: The parameters of :class:`~skae.StackedAutoencoderClassifier` that say what it does with
#: its unlabelled rows in fine-tuning (a docstring fragment, see :func:`skae._docs.fill_doc`).
UNLABELLED_PARAMS = """\
unlabelled_loss : str, default="label_propagation"
        One of ``"label_propagation"``, ``"entropy"``, ``"pseudo_label"`` and
        ``"consistency"``. Loss on the predicted classes of every training row, labelled or
        not, added with weight ``unlabelled_weight`` during fine-tuning: the entropy of the
        prediction (entropy minimisation, Grandvalet & Bengio, NIPS 2005), the cross-entropy
        against its most probable class (pseudo-labels, Lee, 2013), the squared difference
        from the prediction of a second pass under other dropout masks (the Pi-model of
        Laine & Aila, ICLR 2017; needs ``dropout`` or ``input_dropout`` above 0, and costs a
        second forward pass), or the cross-entropy against labels propagated from the
        labelled rows over a graph of the network's features (Iscen et al., CVPR 2019; see
        ``propagation_neighbors``). All favour decision boundaries in low-density regions of
        the unlabelled data. Unused when every row is labelled.

        ``"label_propagation"``: before the first epoch after the warm-up (on the features
        fine-tuned on the labelled rows; on the pre-trained features with
        ``unlabelled_warmup=0``) and then every ``propagation_interval`` epochs, the last
        hidden layer of every training row is computed, the rows are joined to their
        ``propagation_neighbors`` nearest neighbours in cosine similarity (edges weighted by
        the similarity cubed), and the labels are diffused over this graph in closed form,
        ``(I - 0.99 S)^-1 Y`` (Zhou et al., NIPS 2004), by 20 conjugate-gradient steps. Each
        unlabelled row then takes the class it receives most as its target, weighted by its
        certainty ``1 - H(p) / log(n_classes)``, by the network's agreement with it (the
        probability the network gives that class over that of its own most probable class:
        1 where the two agree, near 0 where the network is sure of another class), and by
        the inverse frequency of that class among the propagated labels. A labelled row
        keeps its own label. The graph search costs
        ``O(n_samples^2 * hidden_layer_sizes[-1])`` per propagation.

    unlabelled_weight : float, default=3.0
        Weight of ``unlabelled_loss``; 0 turns it off. It is 0 during the first
        ``unlabelled_warmup`` epochs of fine-tuning, then ramped up linearly over
        ``unlabelled_rampup`` epochs, so that the network first fits the labelled rows, as
        Lee (2013) does for pseudo-labels.

    unlabelled_rampup : int, default=0
        Epochs over which ``unlabelled_weight`` rises linearly from ``1 / unlabelled_rampup``
        of its value (first epoch after the warm-up) to its full value; 0 applies the full
        weight at once.

    unlabelled_warmup : int, default=10
        Epochs of fine-tuning on the labelled rows alone before the unlabelled term starts.
        Iscen et al. (2019) first train on the labelled rows too: the graph of
        ``"label_propagation"`` is then built on features that separate the classes, not on
        the pre-trained codes. The convergence check (``tol``) waits until the unlabelled
        term has its full weight.

    propagation_neighbors : int, default=5
        Neighbours of each row in the graph of ``unlabelled_loss="label_propagation"`` (at
        most ``n_samples - 1``). Chosen on held-out training rows: 5 did better than 10 on
        MNIST with 100 labels and on digits with 10% of the labels (and 30 worse).

    propagation_interval : int, default=2
        Epochs of fine-tuning between two propagations of
        ``unlabelled_loss="label_propagation"``, which then use the features the network
        has learnt since; every fit call propagates before its first epoch. On MNIST with
        100 labels, propagating every 2 epochs did as well as every epoch, and better than
        every 5."""


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


def network_agreement(scores, labels, y_code):
    """``p(label) / max_c p(c)`` of the network's class ``scores`` (logits) for each row's
    propagated ``labels``; 1 for a labelled row (``y_code >= 0``).

    Propagated labels are no better than the graph they are diffused over, which may be no
    better than the network's own predictions (Fashion-MNIST with few labels). Scaling each
    row's weight by the network's agreement keeps the rows where the graph and the network,
    two views of the data, concur (in the spirit of co-training, Blum & Mitchell, COLT
    1998), and lets a propagated label the network confidently contradicts count little.
    """
    p = F.softmax(_class_logits(scores.double()), dim=1).numpy()
    agreement = p[np.arange(len(labels)), labels] / p.max(axis=1)
    agreement[y_code >= 0] = 1.0
    return agreement


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
