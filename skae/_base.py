"""``BaseAutoencoder``: everything an autoencoder estimator shares.

A variant only implements ``_build_module`` (which network) and, when it adds a term to the
loss, ``_penalty`` (what is added); ``fit``, ``partial_fit``, ``transform``,
``inverse_transform``, ``score`` and the tags live here, as ``_BasePCA`` owns PCA's
``transform`` in scikit-learn.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._engine import iter_batches
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    PREDICT_BATCH_SIZE,
    TorchEstimatorMixin,
)
from skae.nn import ACTIVATIONS, LOSSES, reconstruction_loss
from skae.utils._sklearn_compat import Interval, StrOptions, fit_context

__all__ = ["BaseAutoencoder"]



def _check_unit_interval(X, loss):
    """Cross-entropy is a Bernoulli likelihood: it is only defined for targets in [0, 1]."""
    if loss != "cross_entropy":
        return
    data = X.data if sp.issparse(X) else X
    if data.size and (data.min() < 0 or data.max() > 1):
        raise ValueError(
            "loss='cross_entropy' needs data in [0, 1]; got values in "
            f"[{data.min():.4g}, {data.max():.4g}]. Scale the data (e.g. MinMaxScaler) "
            "or use loss='squared'."
        )


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, TorchEstimatorMixin,
                      BaseEstimator):
    """Base class of skae's autoencoders. Not for direct use: subclass it.

    Subclasses provide ``_build_module(source, generator)`` returning a module with ``encode``,
    ``decode``, ``decode_logits`` and ``forward(x) -> (logits, aux)``, and may override
    ``_penalty(module, x, aux)`` (a scalar added to the mean reconstruction loss) or
    ``_corrupt(x)`` (the training input, for denoising).
    """

    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "out_activation": [StrOptions({"auto", *ACTIVATIONS})],
        "tied_weights": ["boolean"],
        "loss": [StrOptions(set(LOSSES))],
    }

    # -- configuration shared by the variants -------------------------------------------
    def _out_activation(self):
        if self.out_activation == "auto":
            return "sigmoid" if self.loss == "cross_entropy" else "identity"
        if self.loss == "cross_entropy" and self.out_activation != "sigmoid":
            raise ValueError(
                "loss='cross_entropy' needs out_activation='sigmoid' (or 'auto'); got "
                f"out_activation={self.out_activation!r}."
            )
        return self.out_activation

    def _hidden_sizes(self):
        sizes = tuple(np.ravel(np.asarray(self.hidden_layer_sizes, dtype=object)).tolist())
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return sizes

    # -- what the engine calls -----------------------------------------------------------
    def _corrupt(self, x):
        return x

    def _penalty(self, module, x, aux):
        return None

    def _loss(self, module, batch, training):
        x = batch[0]
        logits, aux = module(self._corrupt(x) if training else x)
        loss = reconstruction_loss(self.loss, logits, x, module._out_act, reduction="mean")
        penalty = self._penalty(module, x, aux)
        return loss if penalty is None else loss + penalty

    # -- public API ------------------------------------------------------------------------
    def _validate_fit_data(self, X, reset):
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float32, np.float64],
                          reset=reset)
        if X.shape[0] < 1:  # validate_data already rejects this; keep the guard explicit
            raise ValueError("Found array with 0 sample(s); at least 1 is required.")
        _check_unit_interval(X, self.loss)
        return X

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified one minibatch at a time.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, incremental=False)

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Run one epoch over ``X``, starting a new model on the first call.

        A failed call (bad input, non-finite loss) leaves a fitted model as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        return self._fit(X, incremental=True)

    def _fit(self, X, incremental):
        warm = self._is_warm(incremental)
        X = self._validate_fit_data(X, reset=not warm)
        self._out_activation()  # fail early on an inconsistent loss/activation pair
        self._hidden_sizes()
        self._engine_fit((X,), incremental=incremental)
        self._n_features_out = self.n_components
        return self

    def _input_mean(self, source):
        """Column means of the training data, computed batch by batch (sparse stays sparse)."""
        total = torch.zeros(source.arrays[0].shape[1], dtype=torch.float64)
        for (xb,) in iter_batches(source, PREDICT_BATCH_SIZE):
            total += xb.double().sum(0).cpu()
        return (total / len(source)).float()

    def _init_output_bias(self, module, mean):
        """Start the reconstruction at the data mean (logit of it for a sigmoid output)."""
        _, bias = module.decoder_linear(module.n_layers - 1)
        with torch.no_grad():
            if self._out_activation() == "sigmoid":
                bias.copy_(torch.logit(mean.clamp(1e-3, 1 - 1e-3)))
            elif self._out_activation() == "identity":
                bias.copy_(mean)

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float32, np.float64],
                             reset=False)

    def transform(self, X):
        """Encode ``X``: the code ``h`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_components), dtype float32
        """
        X = self._validate_predict_data(X)
        return self._predict_batches(X, lambda m, x: m.encode(x), self.n_components)

    def inverse_transform(self, X):
        """Decode codes back to the data space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, ``n_features_in_``), dtype float32
        """
        check_is_fitted(self)
        X = self._check_codes(X)
        return self._predict_batches(X, lambda m, h: m.decode(h), self.n_features_in_)

    def _check_codes(self, X):
        X = check_array(X, dtype=[np.float32, np.float64])
        if X.shape[1] != self.n_components:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__}.inverse_transform "
                f"expects codes with n_components={self.n_components} features."
            )
        return X

    def reconstruct(self, X):
        """``inverse_transform(transform(X))`` in one pass: the reconstruction of ``X``."""
        X = self._validate_predict_data(X)
        return self._predict_batches(X, lambda m, x: m.decode(m.encode(x)), self.n_features_in_)

    def score_samples(self, X):
        """Negative reconstruction loss of each sample (higher is better).

        The loss is the one the model was trained with (mean over features of the squared
        error, or of the binary cross-entropy), without any regularisation term.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float32
            float32 like the network that computes them: a float64 cast would claim a
            precision the scores do not have (batch and row-by-row results differ by ~1 ulp).
        """
        X = self._validate_predict_data(X)
        _check_unit_interval(X, self.loss)

        def neg_loss(module, x):
            logits, _ = module(x)
            return -reconstruction_loss(self.loss, logits, x, module._out_act)

        return self._predict_batches(X, neg_loss)

    def score(self, X, y=None):
        """Negative mean reconstruction loss on ``X`` (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    @property
    def mean_(self):
        """Per-feature training mean subtracted before encoding, as a float32 array."""
        return self.module_.center.mean.detach().cpu().numpy().copy()

    @property
    def components_(self):
        """Encoder weights ``W``, (n_components, ``n_features_in_``), of a one-layer encoder."""
        layers = self.module_.encoder_layers
        if len(layers) != 1:
            raise AttributeError(
                "components_ is only defined for a single-layer encoder "
                "(hidden_layer_sizes=()); use module_.encoder_layers for deep models."
            )
        return layers[0].weight.detach().cpu().numpy().copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

