"""Reconstruction losses and penalties as pure tensor functions (per sample, no reduction)."""

import torch.nn.functional as F

__all__ = ["LOSSES", "reconstruction_loss", "squared_loss", "cross_entropy_loss"]

def squared_loss(logits, x, out_act):
    """Mean squared error over features of each row, on the activated output."""
    return (out_act(logits) - x).square().mean(dim=1)

def cross_entropy_loss(logits, x, out_act=None):
    """Mean binary cross-entropy over features, from logits.

    For data in [0, 1] with a sigmoid output this is the negative Bernoulli log-likelihood
    (Bengio et al., 2013, sec. 7.2). The logit form avoids ``log(0)`` for saturated units.
    """
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(dim=1)

# Option strings map to functions, as in scikit-learn's ``LOSS_FUNCTIONS``.
LOSSES = {"squared": squared_loss, "cross_entropy": cross_entropy_loss}

def reconstruction_loss(name, logits, x, out_act):
    """Per-sample reconstruction loss ``name`` of ``logits`` against the target ``x``."""
    return LOSSES[name](logits, x, out_act)
