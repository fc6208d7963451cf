"""Autoencoders side by side for outlier detection, and their trimmed training loss (torch only)."""

import torch
from torch import nn

from skae._docs import fill_doc
from skae.nn._impute import _SideBySide

__all__ = ["AutoencoderEnsemble", "trimmed_mean"]


@fill_doc(code_size="Size of each code.", networks="Number of autoencoders.")
class AutoencoderEnsemble(_SideBySide):
    """``n_networks`` autoencoders ``x -> code -> x_hat`` that share nothing but their input.

    Each encoder maps ``n_features`` inputs through ``hidden_layer_sizes`` to a code of
    ``n_components`` units bounded by ``tanh``; its decoder mirrors it back to ``n_features``
    outputs with an identity output layer (the detector standardises its input). A bounded
    code cannot represent points beyond the range of the codes it was trained on, so their
    reconstruction error grows with their distance. They run as one batched
    matrix product per layer, so one optimizer step trains all of them, each on its own rows.

    Parameters
    ----------
    {side_by_side_parameters}
    """

    def __init__(self, n_features, hidden_layer_sizes, n_components, activation="relu",
                 n_networks=1, generator=None):
        super().__init__(n_features, n_features, hidden_layer_sizes, n_components, activation,
                         n_networks, generator)
        self.code_activation = nn.Tanh()

    def forward(self, x):
        """Each network's reconstruction of ``x``.

        ``x`` has shape ``(n, n_features)`` (the same rows for every network) or
        ``(n_networks, n, n_features)`` (its own rows for each); the output has shape
        ``(n_networks, n, n_features)``.
        """
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_networks, -1, -1)
        return self.decoder(self.code_activation(self.encoder(x)))

    def squared_errors(self, x):
        """``(x_hat - x)^2`` of each network, entry by entry: ``(n_networks, n, n_features)``."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_networks, -1, -1)
        return (self(x) - x).square()


def trimmed_mean(values, trim_fraction):
    """The mean over the last axis of ``values`` without its ``trim_fraction`` largest entries
    (at least one entry is kept): the trimmed mean of robust statistics (Huber & Ronchetti,
    *Robust Statistics*, 2009, sec. 3.3), here of the reconstruction errors of a minibatch, so
    that the rows a network reconstructs worst, the likely outliers, do not steer its training.
    Gradients flow to the kept entries only."""
    n = values.shape[-1]
    keep = max(1, n - int(trim_fraction * n))
    if keep == n:
        return values.mean(dim=-1)
    return torch.topk(values, keep, dim=-1, largest=False, sorted=False).values.mean(dim=-1)
