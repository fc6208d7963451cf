"""``AutoencoderImputer``: fill in missing entries with a denoising or variational autoencoder."""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import log_ndtr
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted

from skae._contract import TrainingData
from skae._docs import DOCS, fill_doc
from skae._engine import BatchSource, StreamedRows
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    TorchEstimatorMixin,
    check_hidden_layer_sizes,
    store_init_params,
)
from skae._random import keyed_standard_normal
from skae.impute._defaults import resolve
from skae.impute._patterns import correlated_neighbours, rows_for_correlations, training_keep
from skae.impute._streamed import StandardizedRows, observed_statistics
from skae.nn import ACTIVATIONS, masked_squared_error
from skae.nn._impute import MaskedAutoencoder, MaskedVAE
from skae.utils._memmap import is_memory_mapped, row_blocks
from skae.utils._sklearn_compat import (
    Interval,
    MissingValues,
    StrOptions,
    _BaseImputer,
    _check_feature_names_in,
    _get_mask,
    fit_context,
    is_scalar_nan,
    validate_data,
)
from skae.utils._validation import check_float32_range

__all__ = ["AutoencoderImputer"]

# Standardised values are clipped to [-_CLIP, _CLIP] inside (see _standardize).
_CLIP = 5.0


def _observed_range(X, missing_values):
    """``(min, max)`` of the entries of ``X`` that are not ``missing_values``, without a copy
    of ``X`` (NaN is skipped by ``fmin``/``fmax``); read in blocks when memory-mapped."""
    lo, hi = np.inf, -np.inf
    for block in row_blocks(X):
        if not block.size:
            continue
        b_lo, b_hi = np.fmin.reduce(block, axis=None), np.fmax.reduce(block, axis=None)
        if not is_scalar_nan(missing_values) and missing_values in (b_lo, b_hi):
            # A numeric marker at an extreme: the range of the other entries.
            block = block[block != missing_values]
            if not block.size:
                continue
            b_lo, b_hi = block.min(), block.max()
        if not np.isnan(b_lo):
            lo, hi = min(lo, float(b_lo)), max(hi, float(b_hi))
    return lo, hi


# Training an imputer on a noisy task (fresh hidden entries every minibatch) profits from many
# small steps and an annealed step size: the defaults of learning_rate, learning_rate_init,
# batch_size and n_iter_no_change differ from the engine's, chosen on masks drawn from the
# training part of each data set only (benchmarks/bench_impute.py --select). fill_doc writes
# them into the shared docs of the engine's parameters.
@fill_doc(engine_params=DOCS["engine_params"].replace(
    """learning_rate_init : float, default=1e-3
        Adam's step size at the start of :meth:`fit` (the step size of :meth:`partial_fit`,
        except with ``learning_rate="adaptive"``).""",
    """learning_rate_init : float or "auto", default="auto"
        Adam's step size at the start of :meth:`fit` (the step size of :meth:`partial_fit`,
        except with ``learning_rate="adaptive"``). ``"auto"``: 1.5e-3 for the deeper
        denoising autoencoder of wide data, else 3e-3 (see the Notes)."""))
class AutoencoderImputer(TorchEstimatorMixin, _BaseImputer):
    """Fill in missing entries with an autoencoder trained on the observed entries.

    The network reads the observed values of a sample together with its observation mask and
    predicts every entry; :meth:`transform` replaces the missing entries by its predictions and
    returns the observed entries unchanged (bit for bit). Training counts observed entries
    only: the mask is part of each minibatch and the loss is the squared error over the
    entries it marks. In each training minibatch some observed entries are hidden from the
    network as well (marked missing in its input, kept in the loss), so that it learns to fill
    in what it cannot see, as a denoising autoencoder learns to undo masking noise (Vincent et
    al., 2008; for imputation: Gondara & Wang, PAKDD 2018). Inputs are standardised inside
    with the mean and standard deviation of the observed entries of each feature, and
    predictions are mapped back to the data's units. ``n_networks`` such autoencoders are
    trained side by side and their predictions averaged, which lowers the error of filling in
    rows not seen in :meth:`fit` (see ``benchmarks/bench_impute.py``).

    With ``sample_posterior=True`` the model is a variational autoencoder of the incomplete
    data, trained by the MIWAE bound on the observed entries (Mattei & Frellsen, ICML 2019),
    and :meth:`transform` *draws* the missing entries from the model's conditional
    distribution given the observed ones, for multiple imputation.

    Parameters
    ----------
    missing_values : int, float or np.nan, default=np.nan
        The placeholder of the missing entries; all its occurrences are imputed.

    n_components : int or "auto", default="auto"
        Size of the autoencoder's code, or of the latent variable with
        ``sample_posterior=True``. ``"auto"``: 128 for the denoising autoencoder, which
        imputes best with a wide code, and 16 for the variational one, whose bound favours a
        small latent space (both chosen on the training parts of the benchmark's data sets).

    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Sizes of the encoder's hidden layers between the input and the code; the decoder
        mirrors them. ``"auto"``: ``(512, 256)`` for the denoising autoencoder on data with
        256 features or more (wide data, see the Notes), else ``(256,)``.

    activation : {"relu", "sigmoid", "tanh", "identity"}, default="relu"
        Activation of the hidden layers (the code is linear).

    noise_level : float in [0, 1), default=0.25
        Corruption level of the training input: the average share of the observed entries
        of a row hidden from the network (marked missing in its input, kept in the loss);
        0 hides nothing (see the Notes for how entries are hidden).

    hide_groups : float in [0, 1] or "auto", default="auto"
        Share of the training rows whose hidden entries are a group of features that go
        missing together (a random feature and the features whose observed values correlate
        most with it) rather than scattered entries or another row's pattern: for data whose
        holes in :meth:`transform` are shaped unlike those of :meth:`fit`, such as blocks of
        an image after scattered holes. 0 hides no groups. ``"auto"``: 1/6 for the
        denoising autoencoder on wide data, else 0 (see the Notes).

    visible_weight : float in [0, 1], default=1.0
        Weight in the training loss of the observed entries the network sees, relative to
        those hidden from it (weight 1): 1 scores every observed entry alike; below 1 the loss
        emphasises filling in what the network cannot see over copying what it can, as the
        "emphasised" denoising autoencoder (Vincent et al., 2010, sec. 4.2); 0 scores the
        hidden entries only. :meth:`transform` returns observed entries unchanged, so only
        the hidden entries' error is the imputer's task; the copy task regularises it.
        Weights below 1 help a model fill holes shaped unlike those of :meth:`fit`, and cost
        more where they are alike than groups do, so the default stays 1 (the figures are on
        the benchmarks page). Used only with ``sample_posterior=False``.

    n_networks : int, default=5
        Number of denoising autoencoders trained side by side, each from its own initial
        weights on its own hidden entries; :meth:`transform` fills in the average of their
        predictions (an ensemble, less variable than one network). They run as one batched
        network (one matrix product per layer), but their arithmetic adds up: on a CPU five
        took about four times as long as one on ``load_digits``. Used only with
        ``sample_posterior=False``.

    sample_posterior : bool, default=False
        False: a denoising autoencoder, and :meth:`transform` returns its prediction (a
        conditional mean). True: a variational autoencoder (MIWAE), and :meth:`transform`
        returns one draw from ``p(x_missing | x_observed)`` by sampling importance resampling
        over ``n_draws`` latent draws (Mattei & Frellsen 2019, sec. 4.2). The draws of a
        row depend only on the fitted model and the row (reproducible, whatever rows come
        with it); for ``m`` multiple imputations fit ``m`` imputers with different
        ``random_state``, as :class:`~sklearn.impute.IterativeImputer` suggests.

    n_draws : int, default=10
        Number of draws ``k`` of the latent variable from its approximate posterior, per
        sample, in the MIWAE bound (training) and in the resampling (:meth:`transform`);
        used only with ``sample_posterior=True``.

    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` of the features that had missing
        entries in :meth:`fit` to the output.

    keep_empty_features : bool, default=False
        Keep the features that were entirely missing in :meth:`fit` in the output of
        :meth:`transform`, with 0 for their missing entries (observed entries unchanged);
        otherwise they are dropped, as scikit-learn's imputers do.

    {engine_params}

    {engine_attributes_section}

    mean_ : ndarray of shape (``n_features_in_``,)
        Mean of the observed entries of each feature in the first :meth:`fit` (0 for a
        feature with none), subtracted before the network.

    scale_ : ndarray of shape (``n_features_in_``,)
        Standard deviation of the observed entries of each feature in the first :meth:`fit`
        (1 where it is 0 or undefined), by which the centred data are divided.

    indicator_ : :class:`~sklearn.impute.MissingIndicator` or None
        The indicator of missing entries appended to the output when ``add_indicator`` is
        True, else None.

    See Also
    --------
    sklearn.impute.SimpleImputer : Fill with a per-feature statistic.
    sklearn.impute.KNNImputer : Fill with the mean of the nearest neighbours.
    sklearn.impute.IterativeImputer : Model each feature from the others, in rounds.
    skae.DenoisingAutoencoder : The denoising autoencoder as a transformer.

    Notes
    -----
    **What the loss sees.** The loss of a minibatch is the mean squared error, in standardised
    units, over its observed entries, hidden and visible alike (a weighted mean with the
    visible ones at ``visible_weight``), averaged over the ``n_networks`` networks, each of
    which has its own hidden entries (with ``sample_posterior=True`` the negative MIWAE
    bound of the observed entries, in nats per sample). An entry that is missing in the
    data never contributes to the loss or to a gradient. Early stopping monitors the error
    of the networks' average.

    **How entries are hidden.** Afresh for every training minibatch, from the estimator's own
    generator, each row is hidden in one of three ways: (c) with probability ``hide_groups``,
    else (a) or (b) by a fair coin. (a) Each of its observed entries independently, with a
    probability drawn for the row uniformly with mean ``noise_level`` (in
    ``[0, 2 noise_level]``, or ``[2 noise_level - 1, 1]`` above 0.5), so that the network
    meets every density of holes and is not tuned to one; (b) where another row of the
    minibatch is missing, so that it also learns holes shaped like the real ones; (c) a group
    of features that go missing together: a random feature and the features whose observed
    values correlate most with it (found in the first :meth:`fit`, on up to 2,000 rows;
    nearby pixels on images, related columns on tabular data), as many as a share of the
    features drawn as in (a). With (c) a model fitted on scattered holes learns to fill
    contiguous ones better.

    **Wide data.** The ``"auto"`` settings depend on the number of features of the first
    :meth:`fit`. Below 256 (tabular data) a group is a large share of a row and the holes
    of new rows tend to look like the training rows' own: one hidden layer, no groups and a
    step size of 3e-3 imputed best (groups cost up to 2%). From 256 features on (images,
    spectra), holes in blocks are common and unlike scattered ones: two hidden layers,
    groups in a sixth of the training rows and half the step size (1.5e-3) let a model
    fitted on scattered holes fill 12x12 blocks of MNIST and Fashion-MNIST images better
    than :class:`~sklearn.impute.KNNImputer`, and fill scattered holes within 2% of the
    narrow settings (chosen on held-out training images with
    ``benchmarks/bench_impute.py --select --select-cross``; the figures are on the
    benchmarks page). At the narrow settings' step size the deeper network filled
    scattered holes of Fashion-MNIST 6% worse. Each epoch of the deeper network with groups
    costs about twice as much.

    **Standardised values are clipped to [-5, 5]** (winsorised) inside: a rare extreme value,
    such as a pixel that is non-zero in one image of a thousand (some 30 standard deviations
    out), would otherwise dominate the squared error of a minibatch, and one outlying entry
    the imputations of the rest of its row. :meth:`transform` still returns observed entries
    unchanged, and imputations may lie beyond the clipped range.

    **Early stopping** (``early_stopping=True``) holds out ``validation_fraction`` of the
    observed *entries* (not whole rows): they are removed from the training data, and the
    validation loss is the mean squared error, in standardised units, of their imputations
    from the remaining entries, the very quantity an imputer should minimise.

    **Input.** Dense arrays only (sparse input raises a TypeError: in a sparse matrix the
    implicit zeros are observed values, so a dense copy is the honest input). Infinite values
    are an error: only ``missing_values`` marks an entry as missing. A fit without any missing
    entry still trains (the hidden entries give it a task), and :meth:`transform` of data
    without missing entries returns them unchanged. Missing entries in a feature that had none
    in :meth:`fit` are imputed like any other: the network was trained on every feature being
    hidden. Rows without a missing entry do not go through the network, and the imputation of
    a row does not depend on the other rows passed with it.

    **Warm starts** (``warm_start=True``) continue training the network on the new data; the
    standardisation, the features kept and the missing indicator stay those of the first fit.

    **Cost.** A fit runs ``max_iter`` epochs of ``ceil(n_samples / batch_size)`` minibatch
    steps, each of which trains all ``n_networks`` networks: with the defaults, 200 x 29 =
    5,800 steps on the 1,797 digits, far more work than a neighbours' search (the user
    guide's imputation section gives a measured time). Like scikit-learn's estimators it
    prints nothing by default; ``verbose=1`` shows a progress bar over the epochs, and the
    time is proportional to ``max_iter``.

    References
    ----------
    .. [1] P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and composing
       robust features with denoising autoencoders", ICML 2008.
    .. [2] L. Gondara and K. Wang, "MIDA: Multiple imputation using denoising autoencoders",
       PAKDD 2018.
    .. [3] P.-A. Mattei and J. Frellsen, "MIWAE: Deep generative modelling and imputation of
       incomplete data sets", ICML 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderImputer
    >>> X = load_digits().data
    >>> rng = np.random.default_rng(0)
    >>> X_missing = np.where(rng.random(X.shape) < 0.3, np.nan, X)
    >>> imputer = AutoencoderImputer(max_iter=10, random_state=0)
    >>> X_filled = imputer.fit_transform(X_missing)
    >>> bool(np.isnan(X_filled).any())
    False
    >>> observed = ~np.isnan(X_missing)
    >>> bool(np.array_equal(X_filled[observed], X_missing[observed]))
    True
    """

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "n_networks",
                          "sample_posterior", "device")

    _parameter_constraints = {
        **_BaseImputer._parameter_constraints,
        **ENGINE_PARAMETER_CONSTRAINTS,
        "missing_values": [MissingValues(numeric_only=True)],
        "n_components": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [StrOptions({"auto"}), "array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "noise_level": [Interval(Real, 0, 1, closed="left")],
        "hide_groups": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
        "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "visible_weight": [Interval(Real, 0, 1, closed="both")],
        "n_networks": [Interval(Integral, 1, None, closed="left")],
        "sample_posterior": ["boolean"],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        missing_values=np.nan,
        *,
        n_components="auto",
        hidden_layer_sizes="auto",
        activation="relu",
        noise_level=0.25,
        hide_groups="auto",
        visible_weight=1.0,
        n_networks=5,
        sample_posterior=False,
        n_draws=10,
        add_indicator=False,
        keep_empty_features=False,
        alpha=0.0,
        learning_rate="cosine",
        learning_rate_init="auto",
        batch_size=64,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=30,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    # -- data ------------------------------------------------------------------------------
    def _check_params(self):
        if not isinstance(self.hidden_layer_sizes, str):
            check_hidden_layer_sizes(self.hidden_layer_sizes)

    def _setting(self, name):
        """The value of ``name`` in this fit: ``"auto"`` resolved on the first fit's number
        of features (see the parameters; the narrow settings before any fit)."""
        return resolve(name, getattr(self, name), getattr(self, "n_features_in_", 0),
                       self.sample_posterior)

    def _training_config(self):
        # The engine trains at the resolved step size (the contract's hook for settings
        # that depend on the data).
        config = super()._training_config()
        return replace(config, learning_rate_init=self._setting("learning_rate_init"))

    def _n_components(self):
        if self.n_components != "auto":
            return self.n_components
        return 16 if self.sample_posterior else 128

    def _validate_input(self, X, reset):
        # NaN passes validation only when it is the missing-value marker; infinities never do.
        nan_marker = is_scalar_nan(self.missing_values)
        mapped = is_memory_mapped(X)
        X = validate_data(self, X, accept_sparse=False, dtype=FLOAT_DTYPES,
                          ensure_all_finite=False if mapped else "allow-nan" if nan_marker
                          else True, reset=reset)
        bounds = _observed_range(X, self.missing_values)
        if mapped:
            # Checked in blocks (no mask of the whole file), with scikit-learn's messages.
            if np.isinf(bounds).any():
                raise ValueError(f"Input X contains infinity or a value too large for "
                                 f"{X.dtype!r}.")
            if not nan_marker and any(np.isnan(b.sum()) for b in row_blocks(X)):
                raise ValueError("Input X contains NaN.")
        # As every estimator of skae: magnitudes whose squares overflow are refused (the
        # standardising variance overflowed from about 1e154 on, and imputations were inf).
        return check_float32_range(X, bounds=bounds)

    def _set_statistics(self, X):
        """Mean and standard deviation of the observed entries of each feature (float64);
        returns whether each feature has missing entries."""
        counts, mean, var = observed_statistics(X, self.missing_values)
        self._valid_mask = counts > 0
        scale = np.sqrt(var)
        # As scikit-learn's StandardScaler: a (near-)constant feature is only centred.
        scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
        self.mean_, self.scale_ = mean, scale
        return counts < len(X)

    def _standardize(self, X, missing):
        """The features that had observed entries in the first fit, standardised with zeros
        at missing entries, and their observation mask, both float32."""
        valid = self._valid_mask
        observed = ~missing[:, valid]
        Z = (X[:, valid] - self.mean_[valid]) / self.scale_[valid]
        # Winsorised: a rare extreme value (a pixel that is non-zero in one image of a
        # thousand lies ~30 standard deviations out) would otherwise dominate the squared
        # error of a whole minibatch, and one outlying input the imputations of its row.
        Z = np.where(observed, np.clip(Z, -_CLIP, _CLIP), 0.0).astype(np.float32)
        return Z, observed.astype(np.float32)

    # -- fit -------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the imputer on ``X``, which may have missing entries.

        A failed call leaves the estimator as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; entries equal to ``missing_values`` are missing.
        {y_ignored}

        {returns_self}
        """
        return self._train(X)

    def _training_data(self, X, y=None, *, warm, incremental):
        X = self._validate_input(X, reset=not warm)
        if not warm:
            # The indicator needs only which features have missing entries.
            self._fit_indicator(self._set_statistics(X)[None, :])
            self._neighbours = None
        if self._setting("hide_groups") > 0 and getattr(self, "_neighbours", None) is None:
            # Which features go missing together in the training masks (see _hide), from the
            # first fit's data that hides groups.
            rows = X[rows_for_correlations(len(X))]
            self._neighbours = correlated_neighbours(
                *self._standardize(rows, _get_mask(rows, self.missing_values)))
        if is_memory_mapped(X):
            # Read and standardised one minibatch at a time: no copy of the whole data.
            Z, observed = StandardizedRows.pair(
                X, lambda rows: self._standardize(rows, _get_mask(rows, self.missing_values)),
                int(self._valid_mask.sum()))
        else:
            Z, observed = self._standardize(X, _get_mask(X, self.missing_values))
        # During training every observed entry is a target; the validation split (early
        # stopping) makes held-out entries the targets.
        return TrainingData({"x": Z, "observed": observed, "target": observed}, X=X)

    def _build_module(self, train, ctx):
        n_features = train.arrays[0].shape[1]
        hidden = check_hidden_layer_sizes(self._setting("hidden_layer_sizes"))
        if self.sample_posterior:
            # Seed of the draws of transform: from this fit's generator, for the module's life.
            ctx.fitted["_sample_seed"] = int(
                torch.randint(np.iinfo(np.int32).max, (1,), generator=ctx.generator))
        with warnings.catch_warnings():
            # Every feature missing in fit leaves a network on no input; torch warns that
            # initialising its empty weights does nothing, which is all there is to do.
            warnings.filterwarnings("ignore", message="Initializing zero-element tensors")
            if self.sample_posterior:
                return MaskedVAE(n_features, hidden, self._n_components(),
                                 activation=self.activation, generator=ctx.generator)
            return MaskedAutoencoder(n_features, hidden, self._n_components(),
                                     activation=self.activation, n_networks=self.n_networks,
                                     generator=ctx.generator)

    def _hide(self, observed, ctx, copies=1):
        """The input masks of a training minibatch, ``copies`` of them (one per side-by-side
        network): :func:`~skae.impute._patterns.training_keep` with this fit's settings."""
        return training_keep(observed, self.noise_level, self._setting("hide_groups"),
                             getattr(self, "_neighbours", None), ctx.generator, copies)

    def _latent_noise(self, n_rows, ctx):
        return torch.randn((n_rows, self.n_draws, self._n_components()),
                           generator=ctx.generator).to(ctx.device)

    def _loss(self, module, batch, ctx):
        x, observed, target = batch.x, batch.observed, batch.target
        if not ctx.training:
            # Validation: the squared error of the imputed held-out entries (see Notes).
            if self.sample_posterior:
                pred = module.conditional_mean(x, observed, self._latent_noise(len(x), ctx))
            else:
                pred = module.predict(x, observed)
            return masked_squared_error(pred, x, target)
        if not self.sample_posterior:
            # The mean over the networks of each one's error on its own hidden entries.
            visible = self._hide(observed, ctx, module.n_networks)
            pred = module(x, visible)
            # Emphasised denoising (Vincent et al. 2010, sec. 4.2): the hidden entries weigh
            # 1, the visible ones visible_weight; a weighted mean over the entries.
            weight = target.expand_as(pred) - (1 - self.visible_weight) * visible
            return masked_squared_error(pred, x, weight)
        visible = self._hide(observed, ctx)[0]
        # The encoder sees the visible entries and the bound scores every observed one: the
        # denoising variational bound (Im et al., AAAI 2017) of the MIWAE objective.
        eps = self._latent_noise(len(x), ctx)
        return -module.bound(x, visible, eps, scored=target).mean()

    def _validation_split(self, source, rng):
        """Hold out ``validation_fraction`` of the observed entries (not of the rows)."""
        # Whole arrays: data streamed from a memory-mapped file (or larger than the engine's
        # STREAM_ABOVE_BYTES) are materialised here, as early stopping holds out entries.
        x, observed = (a.as_array() if isinstance(a, StreamedRows) else a.cpu().numpy()
                       for a in source.arrays[:2])
        flat = np.flatnonzero(observed)
        n_val = self._n_validation(flat.size, "observed entries")
        held = np.zeros(observed.size, dtype=np.float32)
        held[rng.choice(flat, size=n_val, replace=False)] = 1.0
        held = held.reshape(observed.shape)
        kept = observed - held
        train = BatchSource({"x": x * kept, "observed": kept, "target": kept}, source.device)
        rows = np.flatnonzero(held.any(axis=1))
        validation = BatchSource({"x": x[rows], "observed": kept[rows], "target": held[rows]},
                                 source.device)
        return train, validation

    # -- transform -------------------------------------------------------------------------
    def transform(self, X):
        """Impute the missing entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to complete; entries equal to ``missing_values`` are imputed.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            ``X`` with its missing entries filled, in ``X``'s float dtype; observed entries are
            returned unchanged. Features that were entirely missing in :meth:`fit` are dropped
            unless ``keep_empty_features`` is True; the missing indicator's columns follow
            when ``add_indicator`` is True.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        missing = _get_mask(X, self.missing_values)
        X_indicator = self._transform_indicator(missing)
        valid = self._valid_mask
        out = np.array(X, copy=True)
        rows = np.flatnonzero(missing[:, valid].any(axis=1))
        if rows.size:  # only rows with a hole go through the network
            hole = missing[rows][:, valid]
            block = out[rows][:, valid]
            block[hole] = self._impute_rows(X[rows], missing[rows])[hole]
            out[np.ix_(rows, np.flatnonzero(valid))] = block
        if not self.keep_empty_features:
            out = out[:, valid]
        elif not valid.all():
            out[:, ~valid] = np.where(missing[:, ~valid], 0.0, out[:, ~valid])
        return self._concatenate_indicator(out, X_indicator)

    def _impute_rows(self, X, missing):
        """The network's prediction of every entry of the valid features of ``X``, in the
        data's units (float64)."""
        Z, observed = self._standardize(X, missing)
        d = Z.shape[1]
        if not self.sample_posterior:
            pred = self._predict_batches(np.hstack([Z, observed]),
                                         lambda m, b: m.predict(b[:, :d], b[:, d:]), d)
        else:
            pred = self._predict_batches(np.hstack([Z, observed, self._draws(X)]),
                                         lambda m, b: self._sample(m, b, d), d)
        valid = self._valid_mask
        return pred.astype(np.float64) * self.scale_[valid] + self.mean_[valid]

    def _draws(self, X):
        """Standard normal draws of each row, keyed by the row's bytes and the fitted seed
        (:func:`skae._random.keyed_standard_normal`): the latent draws, one Gumbel variable
        per latent draw, and the decoder noise, side by side."""
        k, n = self.n_draws, self._n_components()
        eps = keyed_standard_normal(X, self._sample_seed, (k * n + k + len(self.scale_),))
        # Standard Gumbel draws from standard normal ones: g = -log(-log Phi(e)), with
        # log Phi computed directly so that it stays finite in the tails.
        gumbel = -np.log(-log_ndtr(eps[:, k * n:k * n + k].astype(np.float64)))
        return np.hstack([eps[:, :k * n], gumbel.astype(np.float32),
                          eps[:, k * n + k:][:, self._valid_mask]])

    def _sample(self, module, batch, d):
        k, n = self.n_draws, self._n_components()
        x, observed, rest = batch[:, :d], batch[:, d:2 * d], batch[:, 2 * d:]
        eps = rest[:, :k * n].reshape(-1, k, n)
        return module.sample(x, observed, eps, rest[:, k * n:k * n + k], rest[:, k * n + k:])

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_``, or ``x0``, ``x1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
            The kept input features, then the missing indicator's features when
            ``add_indicator`` is True.
        """
        check_is_fitted(self, "n_features_in_")
        input_features = _check_feature_names_in(self, input_features)
        names = input_features if self.keep_empty_features else input_features[self._valid_mask]
        return self._concatenate_indicator_feature_names_out(names, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Observed entries come back as they were: the output has the input's float dtype.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
