"""Images of what an autoencoder learned: its filters, and its reconstructions.

matplotlib is imported inside each function, so importing this module never needs it.
"""

import math

import numpy as np

from skae._docs import fill_doc
from skae.plotting._generative import _image_shape

__all__ = ["plot_filters", "plot_reconstructions"]


def _first_layer_weights(estimator):
    """``W`` of the first encoder layer, one row per unit, as a float array."""
    if isinstance(estimator, np.ndarray) or not hasattr(estimator, "module_"):
        weights = np.asarray(estimator, dtype=float)
        if weights.ndim != 2:
            raise ValueError(
                "plot_filters takes a fitted autoencoder or a 2-D weight array of shape "
                f"(n_filters, n_features); got an array of shape {weights.shape}."
            )
        return weights
    return estimator.module_.encoder_layers[0].weight.detach().cpu().numpy().astype(float)


def _grid(n_rows, n_cols, fig, size):
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(size * n_cols, size * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    return fig, axes


@fill_doc
def plot_filters(estimator, *, n_filters=64, image_shape=None, n_cols=None, cmap="gray",
                 fig=None):
    """Show each row of the first encoder layer's ``W`` as an image tile.

    Each tile is one hidden unit's weights over the input pixels, scaled to its own range, as in
    the figures of filters learned on digits by Vincent et al. (JMLR 2010, fig. 6).

    Parameters
    ----------
    estimator : fitted autoencoder or ndarray of shape (n_units, n_features)
        A skae autoencoder (its first encoder layer is used, whatever the depth) or the weights
        themselves, e.g. ``PCA().components_``.
    n_filters : int, default=64
        Show at most this many units, the first ones.
    image_shape : tuple of int, optional
        ``(height, width)`` of the input images; inferred for square images.
    n_cols : int, optional
        Tiles per row; a square grid by default.
    cmap : str, default="gray"
    fig : matplotlib Figure, optional
        An empty figure to draw in; a new one by default.

    Returns
    -------
    fig : matplotlib Figure
        One Axes per tile.

    Examples
    --------
    {digits_autoencoder_example}
    >>> from skae.plotting import plot_filters
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(n_components=16, max_iter=5, random_state=0).fit(X)
    >>> fig = plot_filters(ae)
    >>> sum(len(ax.images) for ax in fig.axes)
    16
    """
    weights = _first_layer_weights(estimator)[:n_filters]
    shape = _image_shape(weights.shape[1], image_shape)
    n = weights.shape[0]
    n_cols = int(n_cols or max(1, math.ceil(math.sqrt(n))))
    fig, axes = _grid(math.ceil(n / n_cols), n_cols, fig, size=0.9)
    for w, ax in zip(weights, axes.ravel(), strict=False):  # spare cells stay empty
        ax.imshow(w.reshape(shape), cmap=cmap, interpolation="nearest")
    fig.suptitle(f"{n} filters of the first encoder layer")
    return fig


@fill_doc
def plot_reconstructions(estimator, X, *, X_noisy=None, n_images=10, image_shape=None,
                         cmap="gray", fig=None):
    """Originals above their reconstructions (and, for denoising, the noisy inputs between).

    Parameters
    ----------
    estimator : fitted autoencoder
        Anything with ``reconstruct`` (skae's autoencoders) or ``transform`` and
        ``inverse_transform`` (e.g. ``PCA``).
    X : array-like of shape (n_samples, n_features)
        Clean images, flattened.
    X_noisy : array-like of shape (n_samples, n_features), optional
        Corrupted versions of ``X``. When given, the middle row shows them and the bottom row
        is the reconstruction of the *noisy* input (the denoised image).
    n_images : int, default=10
        Number of columns, the first rows of ``X``.
    image_shape : tuple of int, optional
        ``(height, width)``; inferred for square images.
    cmap : str, default="gray"
    fig : matplotlib Figure, optional

    Returns
    -------
    fig : matplotlib Figure
        A grid of 2 (or 3) rows by ``n_images`` Axes.

    Examples
    --------
    {digits_autoencoder_example}
    >>> from skae.plotting import plot_reconstructions
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(n_components=16, max_iter=5, random_state=0).fit(X)
    >>> fig = plot_reconstructions(ae, X, n_images=5)
    >>> sum(len(ax.images) for ax in fig.axes)
    10
    """
    X = np.asarray(X, dtype=float)[:n_images]
    rows = [("original", X)]
    source = X
    if X_noisy is not None:
        X_noisy = np.asarray(X_noisy, dtype=float)[:n_images]
        if X_noisy.shape != X.shape:
            raise ValueError(
                f"X_noisy must have the shape of X, {X.shape}; got {X_noisy.shape}."
            )
        rows.append(("noisy", X_noisy))
        source = X_noisy
    if hasattr(estimator, "reconstruct"):
        recon = estimator.reconstruct(source)
    else:
        recon = estimator.inverse_transform(estimator.transform(source))
    rows.append(("denoised" if X_noisy is not None else "reconstruction", np.asarray(recon)))
    shape = _image_shape(X.shape[1], image_shape)
    fig, axes = _grid(len(rows), len(X), fig, size=1.0)
    # One grey scale for all rows, so that a faint reconstruction looks faint.
    vmin = min(float(np.min(r)) for _, r in rows)
    vmax = max(float(np.max(r)) for _, r in rows)
    for (label, images), ax_row in zip(rows, axes, strict=True):
        for img, ax in zip(images, ax_row, strict=True):
            ax.imshow(img.reshape(shape), cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest")
        ax_row[0].set_axis_on()
        ax_row[0].set_xticks([])
        ax_row[0].set_yticks([])
        ax_row[0].set_ylabel(label)
    return fig
