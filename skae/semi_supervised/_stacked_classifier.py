"""``StackedAutoencoderClassifier``: greedy pre-training on every row, supervised fine-tuning on
the labelled ones."""

import copy
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from skae._base import BaseAutoencoder
from skae._contract import TrainingData
from skae._docs import fill_doc
from skae._engine import BatchSource, StreamedRows, iter_batches
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    TorchEstimatorMixin,
    check_hidden_layer_sizes,
    store_init_params,
)
from skae.autoencoders._stacked import StackedAutoencoder, _as_numpy
from skae.nn import ACTIVATIONS, LOSSES, reconstruction_loss
from skae.nn._classifier import EncoderClassifier, classification_loss
from skae.semi_supervised._labels import check_label_kinds, encode_labels
from skae.semi_supervised._propagation import propagate_labels
from skae.semi_supervised._unlabelled import (
    UNLABELLED_LOSSES,
    UNLABELLED_PARAMS,
    _as_float32,
    _balanced_weights,
    _paired,
    _rows_of,
    network_agreement,
    unlabelled_loss,
)
from skae.utils._memmap import is_memory_mapped
from skae.utils._sklearn_compat import Interval, StrOptions, fit_context, validate_data
from skae.utils._validation import check_finite_in_blocks

__all__ = ["StackedAutoencoderClassifier"]

# The input of the methods that classify, up to the entry of what they return.
_CLASSIFIED_X = """\
Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples to classify.

    Returns
    -------"""


@fill_doc(pretrain_loss="``reconstruction_loss``", classified_X=_CLASSIFIED_X,
          unlabelled_params=UNLABELLED_PARAMS)
class StackedAutoencoderClassifier(ClassNamePrefixFeaturesOutMixin, ClassifierMixin,
                                   TransformerMixin, TorchEstimatorMixin, BaseEstimator):
    """Deep classifier pre-trained as a stacked autoencoder; semi-supervised with few labels.

    Pre-training of deep networks (Hinton & Salakhutdinov, Science 2006; Bengio et al., NIPS
    2007): the hidden layers ``n_features -> h_1 -> ... -> h_L`` are first trained greedily, one
    level at a time, as one-layer autoencoders on the code of the level below, using **every**
    row of ``X``, labelled or not (as :class:`StackedAutoencoder` does). A softmax output layer
    (one logistic unit for two classes) is then put on ``h_L`` and the whole network is
    fine-tuned on the labelled rows, minimising their cross-entropy plus
    ``reconstruction_weight`` times the reconstruction loss of every row through the
    pre-trained decoder (Ranzato & Szummer, ICML 2008: a joint supervised and unsupervised
    cost); ``reconstruction_weight=0`` is plain supervised fine-tuning. With few labels the
    unlabelled rows also enter the fine-tuning through ``unlabelled_loss`` (by default, labels
    propagated over a nearest-neighbour graph of the network's own features; else entropy
    minimisation, pseudo-labels or consistency of their predictions under dropout), and
    ``dropout`` / ``input_dropout`` regularise it.

    **Defaults.** When ``y`` marks unlabelled rows, the defaults are semi-supervised beyond
    pre-training: ``unlabelled_warmup=10`` epochs of fine-tuning on the labelled rows alone,
    then label propagation (Iscen et al., CVPR 2019) on the features the network has learnt,
    with weight ``unlabelled_weight=3``, each propagated label weighted by how much the
    network agrees with it. The warm-up and the agreement are what make propagation help
    where the pre-trained codes separate the classes worse than a network fine-tuned on the
    labels alone (Fashion-MNIST): labels propagated over those codes are then worse than the
    network's own predictions, and training on them from the first epoch hurts. Fine-tuning
    uses ``dropout=0.3`` on the hidden layers and ``input_dropout=0.2`` on the input: with
    few labels, the network otherwise fits the labelled rows exactly (their cross-entropy
    near 0) within a few epochs and over-fits them. When every row is labelled the
    unlabelled term is inert and the defaults are fine-tuning with dropout. Chosen on
    held-out training images of MNIST, Fashion-MNIST and the digits
    (``bench_semisupervised.py``; the figures are on the benchmarks page).

    Labels follow :mod:`sklearn.semi_supervised`: ``y == -1`` marks an unlabelled row (see
    ``unlabelled_label`` for another mark, or none), where the other rows hold at least two
    classes; binary labels ``{-1, 1}`` are two classes.

    **Epochs.** Each fine-tuning step takes ``batch_size`` rows of ``X`` and as many labelled
    rows; the labelled rows are cycled so that each is used equally often. An epoch is one
    pass over all rows, so with few labels it visits every labelled row about
    ``n_samples / n_labelled`` times: choose ``max_iter`` accordingly, or use
    ``early_stopping``, which holds out ``validation_fraction`` of the *labelled* rows and
    monitors their cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Sizes of the hidden layers (at least one); the last is the output of
        :meth:`transform` and feeds the output layer.

    activation : {"relu", "sigmoid", "tanh", "identity"}, default="relu"
        Activation of every hidden layer.

    reconstruction_weight : float, default=0.0
        Weight of the mean reconstruction loss of every row (labelled or not) added to the
        cross-entropy of the labelled rows during fine-tuning. 0 means plain fine-tuning:
        the unlabelled rows then shape the model through pre-training only.

    reconstruction_loss : {"squared", "cross_entropy"}, default="squared"
        Reconstruction loss of pre-training and of the fine-tuning term, averaged over
        features. ``"cross_entropy"`` needs data in [0, 1] and uses a sigmoid output.

    {tied_weights}

    {pretrain_params}

    dropout : float in [0, 1), default=0.3
        Dropout rate of every hidden layer during fine-tuning (Srivastava et al., JMLR 2014,
        who fine-tune pre-trained networks with dropout): each unit is zeroed with this
        probability and the others are scaled by ``1 / (1 - dropout)``, so that prediction
        uses the whole network unchanged. Pre-training is not affected (see
        ``pretrain_estimator`` for its noise).

    input_dropout : float in [0, 1), default=0.2
        The same inverted dropout on the input features during fine-tuning: the network
        classifies (and, with ``reconstruction_weight > 0``, reconstructs the clean rows
        from) corrupted rows, a denoising criterion (Vincent et al., JMLR 2010) kept through
        fine-tuning.

    {unlabelled_params}

    unlabelled_label : int, str or None, default=-1
        The value of ``y`` that marks an unlabelled row; -1 is the convention of
        :mod:`sklearn.semi_supervised`, under which other negative labels are refused (more
        likely a typo than a class). The mark applies only where the other rows hold at
        least two classes: beside a single class it is a class itself, so binary labels
        ``{-1, 1}`` (a common convention) are two classes, while in ``{-1, 0, 1}`` the -1
        rows are unlabelled. A string suits string labels (a number may also mark rows among
        string labels); a string mark beside number labels, and labels that mix numbers
        and strings, are errors. None: every row is labelled (-1 is then always a class).

    {engine_params}

    {engine_attributes_section}

    classes_ : ndarray of shape (n_classes,)
        The class labels of the labelled rows (``unlabelled_label`` excluded).

    estimators_ : list of BaseAutoencoder
        The fitted one-layer autoencoders of the greedy phase that built the network, from
        the input upwards; empty when ``pretrain=None``.

    See Also
    --------
    StackedAutoencoder : The same greedy pre-training, fine-tuned as an autoencoder.
    sklearn.neural_network.MLPClassifier : A multilayer perceptron on labelled rows only.
    sklearn.semi_supervised.SelfTrainingClassifier : Semi-supervised by pseudo-labelling.
    sklearn.semi_supervised.LabelSpreading : Semi-supervised by label propagation on a graph.

    References
    ----------
    .. [1] G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data with
       neural networks", Science 313(5786), 2006.
    .. [2] Y. Bengio, P. Lamblin, D. Popovici and H. Larochelle, "Greedy layer-wise training
       of deep networks", NIPS 2007.
    .. [3] M. Ranzato and M. Szummer, "Semi-supervised learning of compact document
       representations with deep networks", ICML 2008.
    .. [4] P. Vincent et al., "Stacked denoising autoencoders", JMLR 11, 2010.
    .. [5] Y. Grandvalet and Y. Bengio, "Semi-supervised learning by entropy minimization",
       NIPS 2005.
    .. [6] D.-H. Lee, "Pseudo-label: the simple and efficient semi-supervised learning method
       for deep neural networks", ICML 2013 Workshop on Challenges in Representation Learning.
    .. [7] S. Laine and T. Aila, "Temporal ensembling for semi-supervised learning", ICLR
       2017.
    .. [8] N. Srivastava et al., "Dropout: a simple way to prevent neural networks from
       overfitting", JMLR 15, 2014.
    .. [9] A. Iscen, G. Tolias, Y. Avrithis and O. Chum, "Label propagation for deep
       semi-supervised learning", CVPR 2019.
    .. [10] D. Zhou, O. Bousquet, T. N. Lal, J. Weston and B. Schoelkopf, "Learning with
       local and global consistency", NIPS 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import StackedAutoencoderClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> y_semi = y.copy()
    >>> y_semi[np.random.default_rng(0).random(len(y)) > 0.1] = -1  # keep 10% of the labels
    >>> clf = StackedAutoencoderClassifier((64, 32), max_iter=20, random_state=0)
    >>> clf.fit(X / 16, y_semi).classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> clf.predict_proba(X[:2] / 16).shape, clf.transform(X[:2] / 16).shape
    ((2, 10), (2, 32))
    >>> bool(clf.score(X / 16, y) > 0.8)
    True
    """

    _structural_params = ("hidden_layer_sizes", "activation", "reconstruction_loss",
                          "tied_weights", "device")

    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "reconstruction_loss": [StrOptions(set(LOSSES))],
        "tied_weights": ["boolean"],
        "pretrain": [StrOptions({"greedy"}), None],
        "pretrain_estimator": [BaseAutoencoder, None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "unlabelled_loss": [StrOptions(set(UNLABELLED_LOSSES))],
        "unlabelled_weight": [Interval(Real, 0, None, closed="left")],
        "unlabelled_rampup": [Interval(Integral, 0, None, closed="left")],
        "unlabelled_warmup": [Interval(Integral, 0, None, closed="left")],
        "propagation_neighbors": [Interval(Integral, 1, None, closed="left")],
        "propagation_interval": [Interval(Integral, 1, None, closed="left")],
        "unlabelled_label": [Integral, str, None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        activation="relu",
        reconstruction_weight=0.0,
        reconstruction_loss="squared",
        tied_weights=False,
        pretrain="greedy",
        pretrain_estimator=None,
        dropout=0.3,
        input_dropout=0.2,
        unlabelled_loss="label_propagation",
        unlabelled_weight=3.0,
        unlabelled_rampup=0,
        unlabelled_warmup=10,
        propagation_neighbors=5,
        propagation_interval=2,
        unlabelled_label=-1,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    # -- configuration ---------------------------------------------------------------------
    def _check_params(self):
        if (self.unlabelled_loss == "consistency" and self.unlabelled_weight > 0
                and self.dropout == 0 and self.input_dropout == 0):
            raise ValueError(
                "unlabelled_loss='consistency' compares two passes under different dropout "
                "masks: set dropout or input_dropout above 0 (they are both 0), or use "
                "another unlabelled_loss."
            )
        if not check_hidden_layer_sizes(self.hidden_layer_sizes):
            raise ValueError(
                "hidden_layer_sizes must name at least one hidden layer (the code that is "
                f"pre-trained and classified); got {self.hidden_layer_sizes!r}."
            )

    def _hidden_sizes(self):
        return check_hidden_layer_sizes(self.hidden_layer_sizes)

    def _stacked_autoencoder(self):
        """The :class:`StackedAutoencoder` whose network becomes the hidden layers.

        Its encoder is ``n_features -> h_1 -> ... -> h_L`` with ``h_L`` as the code, every
        layer with ``activation``; its greedy phase is this estimator's pre-training.
        """
        sizes = self._hidden_sizes()
        return StackedAutoencoder(
            sizes[-1], hidden_layer_sizes=sizes[:-1], activation=self.activation,
            code_activation="same", tied_weights=self.tied_weights,
            loss=self.reconstruction_loss, pretrain=self.pretrain,
            pretrain_estimator=self.pretrain_estimator, alpha=self.alpha,
            learning_rate=self.learning_rate, learning_rate_init=self.learning_rate_init,
            batch_size=self.batch_size, max_iter=self.max_iter, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, device=self.device, verbose=self.verbose,
        )

    # -- fit -------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Pre-train on every row of ``X``, then fine-tune on the labelled rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, labelled and unlabelled rows. Sparse input is densified one
            minibatch at a time.
        y : array-like of shape (n_samples,)
            Class labels, integers or strings; ``unlabelled_label`` (default -1) marks an
            unlabelled row.

        {returns_self}
        """
        return self._train(X, y)

    def _training_data(self, X, y, *, warm, incremental):
        check_label_kinds(y, self.unlabelled_label)
        mapped = is_memory_mapped(X)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float32, np.float64],
                             reset=not warm, ensure_all_finite=not mapped)
        if mapped and not sp.issparse(X):
            # One block at a time: a memory-mapped file is never resident at once.
            check_finite_in_blocks(X, estimator_name=type(self).__name__)
        self._check_unit_interval(X)
        y_code = self._encode_labels(y, warm)
        self._n_features_out = self._hidden_sizes()[-1]
        return TrainingData(self._served(_as_float32(X), y_code), X=X, y=y)

    def _check_unit_interval(self, X):
        if self.reconstruction_loss != "cross_entropy":
            return
        data = X.data if sp.issparse(X) else X
        if data.size and (data.min() < 0 or data.max() > 1):
            raise ValueError(
                f"reconstruction_loss='cross_entropy' needs data in [0, 1]; got values in "
                f"[{data.min():.4g}, {data.max():.4g}]. Scale the data (e.g. MinMaxScaler) "
                "or use reconstruction_loss='squared'."
            )

    def _encode_labels(self, y, warm):
        """Set ``classes_`` (new model) and return ``y`` as class indices, -1 if unlabelled."""
        classes, y_code = encode_labels(y, self.unlabelled_label, type(self).__name__,
                                        self.classes_ if warm else None)
        if not warm:
            self.classes_ = classes
        return y_code

    def _validation_split(self, source, rng):
        """Hold out ``validation_fraction`` of the labelled rows; keep all the others."""
        X, y_code = source.array("x"), source.array("y").cpu().numpy()
        X = X if isinstance(X, StreamedRows) else _as_numpy(X)
        labelled = np.flatnonzero(y_code >= 0)
        n_val = self._n_validation(len(labelled), "labelled rows")
        val = np.sort(rng.choice(labelled, size=n_val, replace=False))
        keep = np.setdiff1d(np.arange(len(y_code)), val)
        train = BatchSource(self._served(_rows_of(X, keep), y_code[keep]), source.device)
        return train, BatchSource({"x": _rows_of(X, val), "y": y_code[val]}, source.device)

    def _propagates(self):
        return self.unlabelled_loss == "label_propagation" and self.unlabelled_weight > 0

    def _served(self, X, y_code):
        """The arrays the engine serves (see :func:`_paired`); with label propagation and
        unlabelled rows, also each row's propagated label and its weight.

        Those two arrays are filled in place before the epochs that propagate
        (:meth:`_on_epoch_begin`); the weights start as NaN, "not propagated yet".
        """
        arrays = _paired(X, y_code)
        if "x_labelled" in arrays and self._propagates():
            arrays["propagated"] = np.zeros(len(y_code), dtype=np.int64)
            arrays["propagation_weight"] = np.full(len(y_code), np.nan, dtype=np.float32)
        return arrays

    # -- what the engine calls -------------------------------------------------------------
    def _on_epoch_begin(self, module, ctx):
        # Label propagation (Iscen et al., CVPR 2019) alternates with training: the graph is
        # rebuilt on the features the network has learnt so far, so better features give
        # better propagated labels, which train better features.
        train = ctx.train
        if not train.has("propagated"):
            return
        labels, weights = train.array("propagated"), train.array("propagation_weight")
        if ctx.epoch < self.unlabelled_warmup:
            return  # the labelled rows alone: the features are not fine-tuned yet
        first = bool(torch.isnan(weights[0]))
        if not first and (ctx.epoch - self.unlabelled_warmup) % self.propagation_interval:
            return
        was_training = module.training
        module.eval()
        with torch.no_grad():
            codes = [module.encode(xb) for (xb,) in
                     iter_batches(BatchSource((train.array("x"),), ctx.device), 4096)]
            scores = torch.cat([module.head(code) for code in codes]).cpu()
            features = torch.cat(codes).cpu().numpy()
        module.train(was_training)
        y_code = train.array("y").cpu().numpy()
        n_classes = len(self.classes_)
        found, confidence = propagate_labels(features, y_code, n_classes,
                                             self.propagation_neighbors)
        confidence = confidence * network_agreement(scores, found, y_code)
        labels.copy_(torch.from_numpy(found))
        weights.copy_(torch.from_numpy(_balanced_weights(found, confidence, n_classes)))

    def _build_module(self, train, ctx):
        # The stacked autoencoder builds the hidden layers from every training row (the
        # labelled rows held out for early stopping excepted) and pre-trains them greedily;
        # it records its one-layer autoencoders in ctx.fitted["estimators_"].
        # Built from the rows of X alone (not their labelled partners, which would be read
        # twice over for the input means).
        rows = BatchSource({"x": train.array("x")}, train.device)
        autoencoder = self._stacked_autoencoder().pretrained_module(rows, ctx)
        n_outputs = 1 if len(self.classes_) == 2 else len(self.classes_)
        return EncoderClassifier(autoencoder, n_outputs, generator=ctx.generator)

    def _encode(self, module, x, ctx):
        """The last hidden layer of ``x``; with dropout while training (``ctx.training``).

        Inverted dropout on the input and on the output of every hidden layer, its masks drawn
        from the fit's generator.
        """
        if not ctx.training:
            return module.encode(x)
        return module.encode(x, input_dropout=self.input_dropout, dropout=self.dropout,
                             generator=ctx.generator)

    def _unlabelled_weight(self, ctx):
        """``unlabelled_weight``: 0 in the first ``unlabelled_warmup`` epochs, then ramped up
        over ``unlabelled_rampup`` epochs."""
        epoch = ctx.epoch - self.unlabelled_warmup
        if epoch < 0:
            return 0.0
        if self.unlabelled_rampup == 0:
            return self.unlabelled_weight
        return self.unlabelled_weight * min(1.0, (epoch + 1) / self.unlabelled_rampup)

    def _loss_comparable(self, ctx):
        # The objective changes by design until the unlabelled term has its full weight
        # (the warm-up and the ramp): a rise then is not a plateau, so the convergence check
        # waits for it, as for KL annealing. Without unlabelled rows nothing changes.
        if self.unlabelled_weight == 0 or not ctx.train.has("x_labelled"):
            return True
        return ctx.epoch > self.unlabelled_warmup + max(self.unlabelled_rampup - 1, 0)

    def _loss(self, module, batch, ctx):
        # x and y when every row is labelled (and in validation); else also a labelled
        # partner of each row (see _paired) and, with label propagation, each row's
        # propagated label and its weight.
        partnered = "x_labelled" in batch._fields
        x = batch.x
        x_lab, y_lab = (batch.x_labelled, batch.y_labelled) if partnered else (x, batch.y)
        weight = self.reconstruction_weight
        # Every row labelled: nothing for the unlabelled term.
        u_weight = self._unlabelled_weight(ctx) if partnered else 0.0
        if not ctx.training or (weight == 0 and u_weight == 0):
            # Validation monitors the supervised objective alone.
            return classification_loss(module.head(self._encode(module, x_lab, ctx)), y_lab)
        if not partnered:  # every row labelled: one pass serves both terms
            code = self._encode(module, x, ctx)
            scores = module.head(code)
        else:
            # One forward pass over both halves of the step.
            h = self._encode(module, torch.cat([x_lab, x]), ctx)
            scores, code = module.head(h[:len(x_lab)]), h[len(x_lab):]
        loss = classification_loss(scores, y_lab)
        if u_weight:
            target = None
            if self.unlabelled_loss == "consistency":
                with torch.no_grad():
                    target = module.head(self._encode(module, x, ctx))
            propagated = ((batch.propagated, batch.propagation_weight)
                          if "propagated" in batch._fields else (None, None))
            loss = loss + u_weight * unlabelled_loss(self.unlabelled_loss, module.head(code),
                                                     target, *propagated)
        if weight:
            # The clean rows are reconstructed, also from inputs corrupted by input_dropout.
            autoencoder = module.autoencoder
            loss = loss + weight * reconstruction_loss(
                self.reconstruction_loss, module.reconstruct_logits(code), x,
                autoencoder._out_act, reduction="mean")
        return loss

    # -- predict ---------------------------------------------------------------------------
    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float32, np.float64],
                             reset=False)

    def transform(self, X):
        """The last hidden layer of each row of ``X``, the input of the output layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples to encode.

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_layer_sizes[-1]), dtype float32
            The activations of the last hidden layer, computed in float64 (so that a row's
            value does not depend on the rows computed with it) and rounded to float32.
        """
        X = self._validate_predict_data(X)
        # In float64, rounded to float32 at the end: in float32 a row's output depends on
        # the size of the batch it is computed in (the product's kernels change with it, by
        # about 1e-7), so predicting rows one by one would differ from predicting them
        # together. The input is rounded to float32 first, as in training.
        double = copy.deepcopy(self.module_).double()
        return self._predict_batches(X, lambda m, x: double.encode(x.double()),
                                     self._hidden_sizes()[-1])

    def decision_function(self, X):
        """Class scores (logits) of each row of ``X``.

        {classified_X}
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes), dtype float64
            For two classes the logit of ``classes_[1]`` (positive means that class); else one
            score per class, the largest for the predicted class.
        """
        # The output layer is applied in float64 to the float32 hidden layer: scores and
        # probabilities are then exact functions of transform's output.
        H = self.transform(X).astype(np.float64)
        head = self.module_.head
        weight = head.weight.detach().cpu().numpy().astype(np.float64)
        bias = head.bias.detach().cpu().numpy().astype(np.float64)
        scores = H @ weight.T + bias
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """Probability of each class for each row of ``X``.

        {classified_X}
        proba : ndarray of shape (n_samples, n_classes), dtype float64
            Class probabilities in the order of ``classes_``; rows sum to 1.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1 - p, p])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed without underflow.

        {classified_X}
        log_proba : ndarray of shape (n_samples, n_classes), dtype float64
            Log-probability of each class in the order of ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)

    def predict(self, X):
        """Predict the class of each row of ``X``.

        {classified_X}
        y_pred : ndarray of shape (n_samples,)
            The class of largest probability, one of ``classes_``.
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
