"""AutoRec's network and objective: squared error on observed ratings only (torch only)."""

import torch
from torch import nn

from skae.nn._autoencoder import MLPAutoencoder

__all__ = ["AutoRecModule", "masked_squared_error"]


def masked_squared_error(prediction, target, mask):
    """Mean squared error over the entries where ``mask`` is 1.

    AutoRec (Sedhain et al., WWW 2015, eq. 2) sums ``||r - h(r)||^2_O`` over observed
    ratings only: unobserved entries contribute neither to the loss nor to the gradient, so
    only the weights connected to observed ratings are updated. Dividing by the number of
    observed entries makes the loss a mean whose scale does not depend on the batch size.

    Parameters
    ----------
    prediction, target, mask : torch.Tensor of the same shape
        ``mask`` is 1 where ``target`` holds an observed rating, else 0.

    Returns
    -------
    loss : torch.Tensor, a scalar (0 when nothing is observed)
    """
    squared = (prediction - target).square() * mask
    return squared.sum() / mask.sum().clamp_min(1.0)


class AutoRecModule(MLPAutoencoder):
    """AutoRec's network ``h(r) = f(W g(V r + mu) + b)`` (Sedhain et al., 2015, eq. 1).

    One hidden layer. With ``shared_decoder=True`` the decoder's weight matrix is
    parameterised as ``W = 1 w0^T + D``: a vector ``w0`` shared by every output unit plus each
    unit's own deviation ``D``. The function class is unchanged (any ``W`` can be written so);
    what changes is the penalty, which the estimator puts on ``D`` only. ``w0`` is 1-D, so
    :func:`skae._engine.make_adam`'s weight decay, which shrinks matrices only, leaves it alone:
    each output unit's weights are then shrunk toward their common mean instead of toward
    zero, a hierarchical Gaussian prior whose mean is estimated from the data.

    Parameters
    ----------
    n_features : int
        Input and output width (users for I-AutoRec, items for U-AutoRec).
    n_components : int
        Width of the hidden layer (the code).
    activation, out_activation : str
        Hidden and output activations (keys of :data:`skae.nn.ACTIVATIONS`).
    shared_decoder : bool, default=False
        Add the shared decoder vector ``w0`` described above.
    generator : torch.Generator, optional
        Source of randomness for the initial weights.
    """

    def __init__(self, n_features, n_components, *, activation="sigmoid",
                 out_activation="identity", shared_decoder=False, generator=None):
        super().__init__(n_features, (), n_components, activation=activation,
                         out_activation=out_activation, generator=generator)
        self.shared_decoder = bool(shared_decoder)
        if self.shared_decoder:
            # Zero start: the network starts as the plain AutoRec it generalises.
            self.decoder_mean = nn.Parameter(torch.zeros(int(n_components)))

    def decode_logits(self, h):
        """``W h + b`` with ``W = 1 w0^T + D`` when the decoder is shared."""
        out = super().decode_logits(h)
        if self.shared_decoder:
            # The shared part gives every output unit the same value w0 . h: one matrix-vector
            # product broadcast over the units, not a second (units x hidden) matrix.
            out = out + (h @ self.decoder_mean).unsqueeze(-1)
        return out
