"""``BaseAutoencoder``: what every autoencoder estimator shares.

An autoencoder maps data to codes and codes back to data. The base owns ``fit``,
``partial_fit``, ``transform``, ``inverse_transform``, ``reconstruct``, ``score`` and the
tags, as ``_BasePCA`` owns PCA's ``transform`` in scikit-learn. A variant implements
``_build_module`` (which network), ``_loss`` (what is minimised) and ``score_samples`` (how
well a sample is modelled); see :class:`skae.Autoencoder` for the deterministic family and
:class:`skae.VariationalAutoencoder` for the generative one.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from skae._constraints import network_constraints
from skae._contract import TrainingData
from skae._docs import fill_doc
from skae._engine import column_sums
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    TorchEstimatorMixin,
    check_hidden_layer_sizes,
)
from skae.utils._memmap import is_memory_mapped
from skae.utils._sklearn_compat import fit_context, validate_data
from skae.utils._validation import check_finite_in_blocks, check_float32_range, value_range

__all__ = ["BaseAutoencoder"]


def _validate_dense_or_csr(estimator, X, reset):
    """``validate_data`` for float input, dense or CSR; a memory-mapped array is checked for
    NaN and infinity one block at a time (the same errors) so its file is never resident at
    once."""
    mapped = is_memory_mapped(X)
    X = validate_data(estimator, X, accept_sparse="csr", dtype=[np.float32, np.float64],
                      reset=reset, ensure_all_finite=not mapped)
    if mapped and not sp.issparse(X):
        check_finite_in_blocks(X, estimator_name=type(estimator).__name__)
    return X


@fill_doc
class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, TorchEstimatorMixin,
                      BaseEstimator):
    """Base class of skae's autoencoders. Not for direct use: subclass it.

    Subclasses provide the engine hooks ``_build_module(train, ctx)`` (a module with
    ``encode`` and ``decode``) and ``_loss(module, batch, ctx)``, and ``score_samples(X)``.
    They may name a requirement on the data's range with ``_unit_interval_reason`` and add
    parameter checks in ``_check_params`` (calling ``super()``).
    """

    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        **network_constraints("n_components", "hidden_layer_sizes", "activation"),
    }

    # -- configuration ---------------------------------------------------------------------
    def _check_params(self):
        check_hidden_layer_sizes(self.hidden_layer_sizes)

    def _hidden_sizes(self):
        """``hidden_layer_sizes`` as a tuple of ints (checked by ``_check_params``)."""
        return check_hidden_layer_sizes(self.hidden_layer_sizes)

    def _unit_interval_reason(self):
        """``(setting, alternative)`` when the model needs data in [0, 1], else None.

        For instance ``("loss='cross_entropy'", "loss='squared'")``: a Bernoulli likelihood
        is only defined for targets in [0, 1].
        """
        return None

    def _check_unit_interval(self, X, bounds=None):
        """``bounds``: ``value_range(X)`` when the caller has it (one pass over a large
        memory-mapped X, not two)."""
        reason = self._unit_interval_reason()
        if reason is None:
            return
        lo, hi = value_range(X) if bounds is None else bounds
        if lo < 0 or hi > 1:
            raise ValueError(
                f"{reason[0]} needs data in [0, 1]; got values in [{lo:.4g}, {hi:.4g}]. Scale "
                f"the data (e.g. MinMaxScaler) or use {reason[1]}."
            )

    def _input_mean(self, source):
        """Column means of the training data, computed batch by batch (sparse stays sparse)."""
        return (column_sums(source) / len(source)).float()

    # -- public API ------------------------------------------------------------------------
    def _validate_fit_data(self, X, reset):
        X = _validate_dense_or_csr(self, X, reset=reset)
        bounds = value_range(X)
        check_float32_range(X, bounds=bounds)
        self._check_unit_interval(X, bounds)
        return X

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified one minibatch at a time.
        {y_ignored}

        {returns_self}
        """
        return self._train(X, incremental=False)

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Run one epoch over ``X``, starting a new model on the first call.

        A failed call (bad input, non-finite loss) leaves a fitted model as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        {y_ignored}

        {returns_self}
        """
        return self._train(X, incremental=True)

    def _training_data(self, X, y=None, *, warm, incremental):
        X = self._validate_fit_data(X, reset=not warm)
        # Before training: callbacks get a fitted copy that can name its features.
        self._n_features_out = self.n_components
        return TrainingData({"x": X})

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return check_float32_range(_validate_dense_or_csr(self, X, reset=False))

    def transform(self, X):
        """Encode ``X``: the code ``h`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_components), dtype float32
            The code of each sample.
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
            The decoder's output for each code, in the data space.
        """
        check_is_fitted(self)
        X = self._check_codes(X)
        return self._predict_batches(X, lambda m, h: m.decode(h), self.n_features_in_)

    def _check_codes(self, X):
        X = check_float32_range(check_array(X, dtype=[np.float32, np.float64]))
        if X.shape[1] != self.n_components:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__}.inverse_transform "
                f"expects codes with n_components={self.n_components} features."
            )
        return X

    def reconstruct(self, X):
        """Reconstruct ``X``: ``inverse_transform(transform(X))`` in one pass.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples to reconstruct.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, ``n_features_in_``), dtype float32
            The decoder's output for the code of each sample.
        """
        X = self._validate_predict_data(X)
        return self._predict_batches(X, lambda m, x: m.decode(m.encode(x)), self.n_features_in_)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` on ``X`` (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        {y_ignored}

        Returns
        -------
        score : float
            The mean of :meth:`score_samples` (a subclass's ``score_samples`` defines what
            is scored), accumulated in float64.
        """
        return float(np.mean(self.score_samples(X), dtype=np.float64))

    @property
    def mean_(self):
        """Per-feature training mean subtracted before encoding, as a float32 array."""
        return self.module_.center.mean.detach().cpu().numpy().copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

