"""``AutoencoderOutlierDetector``: unsupervised outlier detection by reconstruction error."""

from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch.func import functional_call

from skae._contract import TrainingData
from skae._docs import DOCS, drop_params, fill_doc
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    TorchEstimatorMixin,
    check_hidden_layer_sizes,
    predict_block_rows,
    store_init_params,
)
from skae.nn import ACTIVATIONS
from skae.nn._outliers import AutoencoderEnsemble, trimmed_mean
from skae.utils._sklearn_compat import Interval, StrOptions, fit_context, validate_data
from skae.utils._validation import check_float32_range

__all__ = ["AutoencoderOutlierDetector"]

# Rows of the training data on which the per-feature error scales are estimated: enough for a
# trimmed mean of each feature's errors, and a bounded cost on data of any size (at most
# _SCALE_VALUES errors, 64 MiB of float32, unless that leaves fewer than 256 rows).
_SCALE_ROWS = 10_000
_SCALE_VALUES = 2**24


# The engine's parameters but ``warm_start`` (a detector's scores and offset come from one
# fit's data) and ``max_iter``, a budget here (documented in the class docstring).
_ENGINE_DOC = drop_params(DOCS["engine_params"], "warm_start", "max_iter")


def _engine_attributes():
    return DOCS["engine_attributes"].replace(
        "Number of epochs run, over all calls to :meth:`fit`/:meth:`partial_fit` since the\n"
        "        model was started.", "Number of epochs run.")


# The input of score_samples and decision_function, up to the entry of what they return.
_SCORED_X = """\
Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples to score.

    Returns
    -------"""


@fill_doc(engine_params=_ENGINE_DOC, engine_attributes=_engine_attributes(), scored_X=_SCORED_X)
class AutoencoderOutlierDetector(TorchEstimatorMixin, OutlierMixin, BaseEstimator):
    """Outlier detection with an ensemble of small, robustly trained autoencoders.

    Samples that autoencoders trained on the data reconstruct badly are outliers (Hawkins et
    al., 2002; Aggarwal, *Outlier Analysis*, 2017, ch. 3). The training data may themselves
    hold outliers (the unsupervised setting), and an autoencoder that trains long enough
    learns to reconstruct them too. This detector is built not to:

    - it standardises each feature inside, with the mean and standard deviation of the
      training data;
    - ``n_networks`` small autoencoders are trained side by side, each on its own random
      ``max_samples`` rows (as the trees of an isolation forest are, Liu et al. 2008; for
      autoencoders, Chen et al., RandNet, SDM 2017), and their scores averaged;
    - the code is bounded (``tanh``), so points beyond the range of the training codes cannot
      be reconstructed;
    - each minibatch's loss is a trimmed mean: the ``trim_fraction`` of its rows that a
      network reconstructs worst are left out, so the likely outliers do not steer training;
    - training is short (``max_iter`` epochs over ``max_samples`` rows): the networks learn
      the bulk of the data before they learn its exceptions;
    - the score is robust per feature: each feature's squared error is divided by that
      feature's typical error on the training data (the trimmed mean of its errors), so a
      feature that is hard to reconstruct for every sample does not drown the others.

    :meth:`score_samples` is the opposite of that normalised error (lower is more abnormal),
    :meth:`decision_function` subtracts ``offset_`` (negative for outliers) and
    :meth:`predict` returns -1 for outliers and +1 for inliers, as in
    :class:`~sklearn.ensemble.IsolationForest`. The defaults were chosen on the training parts
    of the ODDS benchmark sets (``benchmarks/bench_outliers.py --select``).

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of each network's code; ``"auto"`` is ``max(1, n_features // 4)``, a code
        narrower than the data whatever its width, so that a network cannot copy its input
        (kept fixed while the other defaults were chosen).

    hidden_layer_sizes : tuple of int, default=(64, 32)
        Sizes of each encoder's hidden layers between the input and the code; the decoder
        mirrors them.

    activation : {"relu", "sigmoid", "tanh", "identity"}, default="relu"
        Activation of the hidden layers (the code's is ``tanh``, the output's the identity).

    n_networks : int, default=8
        Number of autoencoders. They run as one batched network, so their cost adds up:
        twice as many take about twice as long.

    max_samples : int or float, default=512
        Rows each network trains on: an int is a number of rows, a float in (0, 1] a share of
        the training data. Each network draws its own rows without replacement; where the data
        have fewer rows, every row is used and repeated to make up the number, so an epoch is
        the same number of steps whatever the size of the data.

    trim_fraction : float in [0, 1), default=0.2
        Share of each minibatch's rows left out of the loss: those with the largest
        reconstruction errors (a trimmed mean). It also sets the per-feature error scales of
        the score, the trimmed mean of each feature's training errors.

    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets ``offset_``, the threshold of :meth:`predict`. A float: the expected share of
        outliers in the training data; ``offset_`` is that percentile of the training
        scores. ``"auto"``: Tukey's fence for "far out" values on the training errors
        ``e = -score_samples(X_train)``, ``offset_ = -(Q3 + 3 (Q3 - Q1))`` with ``Q1`` and
        ``Q3`` the quartiles of ``e`` (Tukey, *Exploratory Data Analysis*, 1977): a sample is
        an outlier when its error lies that far beyond the bulk of the training errors. On
        the test parts of the 22 ODDS sets it flagged between 1.9% (``letter``, 6.2%
        outliers) and 23% (``lympho``, 4.4% outliers) of the samples: rank by
        :meth:`score_samples`, or set the share, where it matters.

    max_iter : int, default=40
        Number of epochs: passes of every network over its ``max_samples`` rows. A budget,
        not a limit to converge within: training stops early on purpose, before the networks
        learn to reconstruct the outliers (no ConvergenceWarning is raised).

    {engine_params}

    Attributes
    ----------
    {engine_attributes}

    offset_ : float
        Subtracted from :meth:`score_samples` to make :meth:`decision_function`: samples with
        a negative decision are outliers.

    mean_ : ndarray of shape (``n_features_in_``,)
        Per-feature mean of the training data, subtracted before the networks.

    scale_ : ndarray of shape (``n_features_in_``,)
        Per-feature standard deviation of the training data (1 for a constant feature), by
        which the centred data are divided.

    feature_error_scale_ : ndarray of shape (n_networks, ``n_features_in_``)
        Each network's typical squared error of each feature on the training data (its
        trimmed mean), by which the errors are divided in :meth:`score_samples`.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolation by random trees.
    sklearn.neighbors.LocalOutlierFactor : Local density of the nearest neighbours.
    skae.Autoencoder : One autoencoder; its ``score_samples`` is the negative reconstruction
        error, without the robustness of this detector.

    Notes
    -----
    The score of a sample ``x`` (standardised) is
    ``-1/K sum_k 1/d sum_j (x_hat_kj - x_j)^2 / s_kj``, with ``x_hat_k`` the reconstruction of
    network ``k`` and ``s_kj`` the trimmed mean of network ``k``'s squared errors of feature
    ``j`` over the training rows (at most 10,000 of them, fewer for wide data, drawn at
    random). The largest errors are left out of that mean, so a typical training sample
    scores below -1.

    Dense input only. With ``early_stopping=True`` each network holds out
    ``validation_fraction`` of its own ``max_samples`` rows and the epoch with the best
    trimmed validation loss is kept; where the data have fewer rows than ``max_samples``,
    rows are repeated and a held-out row may also be among a network's training rows.

    References
    ----------
    .. [1] S. Hawkins, H. He, G. Williams and R. Baxter, "Outlier detection using replicator
       neural networks", DaWaK 2002.
    .. [2] J. Chen, S. Sathe, C. Aggarwal and D. Turaga, "Outlier detection with autoencoder
       ensembles", SDM 2017.
    .. [3] F. T. Liu, K. M. Ting and Z.-H. Zhou, "Isolation forest", ICDM 2008.
    .. [4] S. Han, X. Hu, H. Huang, M. Jiang and Y. Zhao, "ADBench: Anomaly detection
       benchmark", NeurIPS 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> t = rng.uniform(-1, 1, size=(300, 1))
    >>> X = np.hstack([t, t ** 2, -t]) + 0.02 * rng.normal(size=(300, 3))
    >>> X_new = np.array([[0.5, 0.25, -0.5], [0.5, -0.8, 0.5]])  # on the curve, off it
    >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    >>> detector.predict(X_new)
    array([ 1, -1])
    >>> bool(detector.score_samples(X_new)[1] < detector.score_samples(X_new)[0])
    True
    """

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "n_networks",
                          "device")

    _parameter_constraints = {
        **{k: v for k, v in ENGINE_PARAMETER_CONSTRAINTS.items() if k != "warm_start"},
        "n_components": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "n_networks": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Integral, 1, None, closed="left"),
                        Interval(Real, 0, 1, closed="right")],
        "trim_fraction": [Interval(Real, 0, 1, closed="left")],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(
        self,
        *,
        n_components="auto",
        hidden_layer_sizes=(64, 32),
        activation="relu",
        n_networks=8,
        max_samples=512,
        trim_fraction=0.2,
        contamination="auto",
        max_iter=40,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        batch_size=64,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    # -- configuration ---------------------------------------------------------------------
    def _n_components(self, n_features):
        if self.n_components == "auto":
            return max(1, n_features // 4)
        return self.n_components

    def _n_rows(self, n_samples):
        if isinstance(self.max_samples, Integral):
            return int(self.max_samples)
        return max(1, int(self.max_samples * n_samples))

    # -- fit -------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the detector on ``X``, which may hold outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted detector.
        """
        return self._train(X)

    def _training_config(self):
        # max_iter is a budget (see its doc): stopping before convergence is the point.
        return replace(super()._training_config(), planned_epochs=True)

    def _training_data(self, X, y=None, *, warm, incremental):
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        check_float32_range(X)
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        scale = X.std(axis=0, dtype=np.float64)
        # As scikit-learn's StandardScaler: a (near-)constant feature is only centred.
        scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(1, np.abs(self.mean_))] = 1
        self.scale_ = scale
        Z = self._standardize(X)
        rng = check_random_state(self.random_state)
        rows = self._draw_rows(len(Z), rng)
        # (rows, network, feature): the engine batches over the first axis, so every
        # minibatch gives each network its own rows.
        return TrainingData({"x": Z[rows]}, X=X, extra={"Z": Z, "rng": rng})

    def _after_training(self, data):
        self.feature_error_scale_ = self._feature_error_scale(data.extra["Z"],
                                                              data.extra["rng"])
        self.offset_ = self._offset(self.score_samples(data.X))

    def _standardize(self, X):
        return ((X - self.mean_) / self.scale_).astype(np.float32)

    def _draw_rows(self, n, rng):
        """Row indices of shape ``(max_samples rows, n_networks)``: each column one network's
        rows, drawn without replacement, every row repeated where ``n`` is smaller."""
        m = self._n_rows(n)
        columns = []
        for _ in range(self.n_networks):
            whole, rest = divmod(m, n)
            parts = [rng.permutation(n) for _ in range(whole)] + [rng.permutation(n)[:rest]]
            columns.append(rng.permutation(np.concatenate(parts)))
        return np.stack(columns, axis=1)

    def _build_module(self, train, ctx):
        n_features = train.arrays[0].shape[2]
        module = AutoencoderEnsemble(
            n_features, check_hidden_layer_sizes(self.hidden_layer_sizes),
            self._n_components(n_features), activation=self.activation,
            n_networks=self.n_networks, generator=ctx.generator)
        return module

    def _param_groups(self, module):
        # The stacked biases are 3-D tensors: name them, not their shape, to keep the L2
        # penalty ``alpha`` on weight matrices only.
        named = list(module.named_parameters())
        return [{"params": [p for n, p in named if n.endswith("weight")]},
                {"params": [p for n, p in named if not n.endswith("weight")],
                 "weight_decay": 0.0}]

    def _loss(self, module, batch, ctx):
        x = batch.x.transpose(0, 1)  # (network, rows, feature)
        errors = module.squared_errors(x).mean(dim=-1)  # (network, rows)
        return trimmed_mean(errors, self.trim_fraction).mean()

    def _feature_error_scale(self, Z, rng):
        """The trimmed mean of each network's squared errors of each feature over (at most
        ``_SCALE_ROWS`` of) the training rows, shape ``(n_networks, n_features)``, float64."""
        k, d = self.n_networks, Z.shape[1]
        rows = min(len(Z), max(256, min(_SCALE_ROWS, _SCALE_VALUES // (k * d))))
        if rows < len(Z):
            Z = Z[np.sort(rng.choice(len(Z), rows, replace=False))]
        errors = self._predict_batches(
            Z, lambda m, x: m.squared_errors(x).permute(1, 0, 2).reshape(len(x), k * d), k * d)
        keep = max(1, rows - int(self.trim_fraction * rows))
        if keep < rows:
            errors = np.partition(errors, keep - 1, axis=0)[:keep]
        scale = errors.mean(axis=0, dtype=np.float64).reshape(k, d)
        # A feature that every network reconstructs exactly (a constant one) scores nothing
        # instead of dividing by zero.
        return np.where(scale > np.finfo(np.float32).tiny, scale, np.inf)

    def _offset(self, scores):
        if self.contamination == "auto":
            # Tukey's "far out" fence (Exploratory Data Analysis, 1977): Q3 + 3 IQR of the
            # training errors.
            q1, q3 = np.percentile(-scores.astype(np.float64), [25, 75])
            return -float(q3 + 3.0 * (q3 - q1))
        return float(np.percentile(scores, 100.0 * self.contamination))

    # -- prediction ------------------------------------------------------------------------
    def score_samples(self, X):
        """Opposite of each sample's normalised reconstruction error (lower is more abnormal).

        {scored_X}
        scores : ndarray of shape (n_samples,), dtype float64
            ``-1/K sum_k mean_j (x_hat_kj - x_j)^2 / s_kj`` in standardised units (see the
            Notes).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        check_float32_range(X)
        # In float64, network included: the score of a row must not depend on the rows scored
        # with it, and float32 matrix products of different batch sizes round differently.
        Z = (X - self.mean_) / self.scale_
        module = self.module_
        module.eval()
        params = {name: p.detach().double() for name, p in module.named_parameters()}
        weights = torch.as_tensor(1.0 / self.feature_error_scale_, dtype=torch.float64,
                                  device=self.device_)[:, None, :]
        errors = np.empty(len(Z))
        block = predict_block_rows(self.n_networks * Z.shape[1], bytes_per_value=8)
        with torch.no_grad():
            for start in range(0, len(Z), block):
                x = torch.as_tensor(Z[start:start + block], dtype=torch.float64,
                                    device=self.device_)
                x_hat = functional_call(module, params, (x,))
                errors[start:start + block] = (
                    ((x_hat - x).square() * weights).mean(dim=(0, 2)).cpu().numpy())
        if not np.isfinite(errors).all():
            raise ValueError(
                f"{type(self).__name__}: the networks produced non-finite errors for "
                f"{int((~np.isfinite(errors)).sum())} of {len(errors)} rows; their weights have "
                "probably diverged in training. Refit with a lower learning_rate_init.")
        return -errors

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers, positive for inliers.

        {scored_X}
        decision : ndarray of shape (n_samples,), dtype float64
            The score of each sample minus ``offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for outliers, +1 for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The samples to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int64
            -1 where :meth:`decision_function` is negative, else +1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)
