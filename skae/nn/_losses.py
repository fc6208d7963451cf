"""Reconstruction losses and penalties as pure tensor functions (per sample, no reduction)."""

import torch.nn.functional as F

__all__ = ["LOSSES", "reconstruction_loss", "squared_loss", "cross_entropy_loss"]

def squared_loss(logits, x, out_act, reduction="none"):
    """Mean squared error over features of each row, on the activated output.

    ``reduction="mean"`` returns the mean over the batch, computed by one fused kernel (the
    same value as the mean of the per-row losses, since every row has the same width).
    """
    if reduction == "mean":
        return F.mse_loss(out_act(logits), x)
    return (out_act(logits) - x).square().mean(dim=1)

def cross_entropy_loss(logits, x, out_act=None, reduction="none"):
    """Mean binary cross-entropy over features, from logits.

    For data in [0, 1] with a sigmoid output this is the negative Bernoulli log-likelihood
    (Bengio et al., 2013, sec. 7.2). The logit form avoids ``log(0)`` for saturated units.
    """
    if reduction == "mean":
        return F.binary_cross_entropy_with_logits(logits, x)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(dim=1)

# Option strings map to functions, as in scikit-learn's ``LOSS_FUNCTIONS``.
LOSSES = {"squared": squared_loss, "cross_entropy": cross_entropy_loss}

def reconstruction_loss(name, logits, x, out_act, reduction="none"):
    """Reconstruction loss ``name`` of ``logits`` against ``x``: per row, or its batch mean."""
    return LOSSES[name](logits, x, out_act, reduction)
