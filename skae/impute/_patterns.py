"""Groups of features that go missing together, found from the data, for
:class:`~skae.AutoencoderImputer`'s training masks.

An imputer trained only on entries hidden one at a time never learns to fill a hole whose
neighbours are missing too (a block of an image, a set of related measurements). Which
features are "neighbours" is read from the data, not from a known layout: a feature's
neighbours are the features whose observed values correlate most with its own, so that on
images they are the nearby pixels and on tabular data the related columns. Hiding a feature
with its nearest neighbours removes exactly the information a single-entry imputer leans on.
"""

import numpy as np
import torch

__all__ = ["correlated_neighbours", "group_keep", "rows_for_correlations", "training_keep"]

#: At most this many neighbours are kept per feature (the largest group hidden).
MAX_NEIGHBOURS = 512
#: Correlations are estimated on at most this many rows (evenly spaced through the data).
MAX_ROWS = 2000
#: Above this many features the correlation matrix costs too much: neighbours are then the
#: adjacent columns (contiguous runs), the layout of sequences and flattened images.
MAX_FEATURES = 2048


def rows_for_correlations(n):
    """At most :data:`MAX_ROWS` row indices spread evenly over ``n`` rows."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_ROWS)).astype(np.int64))


def correlated_neighbours(Z, observed):
    """For each feature, up to :data:`MAX_NEIGHBOURS` features by decreasing absolute
    correlation with it, itself first; int32 array of shape ``(n_features, k)``.

    ``Z`` holds standardised values with zeros at missing entries and ``observed`` the 0/1
    observation mask (both ``(n_samples, n_features)``, e.g. the rows of
    :func:`rows_for_correlations`); the correlation of two features is
    the mean product of their standardised values over the rows where both are observed
    (pairwise-complete). Features without a partner observed twice, or above
    :data:`MAX_FEATURES` features, fall back to the nearest column indices.
    """
    n, d = Z.shape
    k = min(d, MAX_NEIGHBOURS)
    index = np.arange(d)
    if d > MAX_FEATURES:
        return _by_position(index, d, k)
    z, o = np.asarray(Z, dtype=np.float64), np.asarray(observed, dtype=np.float64)
    counts = o.T @ o
    corr = np.abs(z.T @ z) / np.maximum(counts, 1.0)
    corr[counts < 2] = 0.0
    # Itself first; ties (a constant feature correlates with nothing) by column distance.
    corr[index, index] = np.inf
    order = np.argsort(-corr, axis=1, kind="stable")[:, :k]
    corr[index, index] = 0.0
    lonely = np.flatnonzero(corr.max(axis=1, initial=0.0) == 0)
    order[lonely] = _by_position(lonely, d, k)
    return order.astype(np.int32)


def _by_position(features, d, k):
    """The ``k`` columns nearest to each of ``features`` by index (itself first, then the
    nearer side first): contiguous runs."""
    features = np.asarray(features)
    out = np.empty((len(features), k), dtype=np.int32)
    for start in range(0, len(features), 256):  # 256 x d distances at a time
        distance = np.abs(np.arange(d)[None, :] - features[start:start + 256, None])
        out[start:start + 256] = np.argsort(distance, axis=1, kind="stable")[:, :k]
    return out


def group_keep(neighbours, rate, generator, shape):
    """Keep masks that hide, in each row, a random feature and its nearest neighbours.

    ``neighbours`` is the int64 tensor of :func:`correlated_neighbours`; ``rate`` (shape
    ``(copies, n, 1)``) the share of the features to hide in each row (capped at the
    neighbours kept). Returns a bool tensor of ``shape`` ``(copies, n, n_features)``, False
    where an entry is hidden.
    """
    copies, n, d = shape
    k = neighbours.shape[1]
    centre = torch.randint(d, (copies, n), generator=generator)
    size = torch.round(rate * d).clamp(max=k)
    hidden = torch.arange(k) < size  # (copies, n, k): the first `size` neighbours
    keep = torch.ones(shape, dtype=torch.bool)
    return keep.scatter_(2, neighbours[centre], ~hidden)


def training_keep(observed, noise_level, hide_groups, neighbours, generator, copies=1):
    """Which observed entries of a training minibatch the networks see.

    Returns ``copies`` independent float masks, shape ``(copies, *observed.shape)``: each of
    the side-by-side networks gets its own. Each row is hidden in one of three ways: (c) with
    probability ``hide_groups``, else (a) or (b) by a fair coin. (a) Masking noise (Vincent
    et al. 2008, sec. 2.3), each observed entry hidden independently with a probability drawn
    for the row uniformly with mean ``noise_level`` (in ``[0, 2 noise_level]``, or
    ``[2 noise_level - 1, 1]`` above 0.5), so that the network meets every density of holes,
    the data's included, and is not tuned to one; (b) the missingness pattern of another row
    of the minibatch, so that it also learns holes shaped like the real ones; (c) a group of
    features that go missing together: a random feature and its most correlated features
    (``neighbours``, from :func:`correlated_neighbours`; a share of the features drawn as in
    (a)), so that it learns to fill holes whose neighbourhood is missing too (a block of an
    image, related measurements), whatever the data's own holes look like.
    """
    if noise_level == 0:
        return observed.expand(copies, *observed.shape)
    device, (n, d) = observed.device, observed.shape
    low, high = max(0.0, 2 * noise_level - 1), min(1.0, 2 * noise_level)
    rate = low + (high - low) * torch.rand((copies, n, 1), generator=generator)
    keep = (torch.rand((copies, n, d), generator=generator) >= rate).to(device)
    other_rows = torch.argsort(torch.rand((copies, n), generator=generator), dim=1).to(device)
    way = torch.rand((copies, n, 1), generator=generator).to(device)
    # (b) below half of the rest, (a) above it, (c) in the top share: without groups the
    # draws and the masks are those of the two ways alone.
    keep = torch.where(way < (1 - hide_groups) / 2, observed[other_rows] > 0, keep)
    if hide_groups > 0 and d:
        groups = group_keep(torch.as_tensor(neighbours, dtype=torch.int64), rate, generator,
                            (copies, n, d)).to(device)
        keep = torch.where(way >= 1 - hide_groups, groups, keep)
    return observed * keep
