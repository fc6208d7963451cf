"""What :class:`~skae.AutoencoderImputer`'s ``"auto"`` settings resolve to.

Data with few features (tabular sets) and data with many (images, spectra) want different
training. With few features a group of related features is a large part of a row, and the
holes of new rows tend to look like those of the training rows: scattered hiding in a small
network imputes best. With many features, holes that come in blocks (a scratch on an image,
a sensor that drops out) are common and unlike scattered ones; filling them takes a deeper
network trained on hidden groups as well as scattered entries, with smaller steps (the
deeper network, at the narrow one's step size, filled scattered holes worse). The settings
were chosen on held-out parts of the training data (``benchmarks/bench_impute.py --select
--select-cross``; the figures are on the benchmarks page).
"""

__all__ = ["WIDE_FEATURES", "resolve"]

#: From this many features on, the data count as wide.
WIDE_FEATURES = 256

_NARROW = {"hidden_layer_sizes": (256,), "hide_groups": 0.0, "learning_rate_init": 3e-3}
_WIDE = {"hidden_layer_sizes": (512, 256), "hide_groups": 1 / 6, "learning_rate_init": 1.5e-3}


def resolve(name, value, n_features, sample_posterior):
    """``value`` of the parameter ``name``, or what ``"auto"`` means for ``n_features``
    features: the wide settings apply to the denoising autoencoder only (the variational
    one was not tuned on wide data and keeps the narrow ones)."""
    if not (isinstance(value, str) and value == "auto"):
        return value
    wide = n_features >= WIDE_FEATURES and not sample_posterior
    return (_WIDE if wide else _NARROW)[name]
