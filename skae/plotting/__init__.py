"""Plots people want to look at: learned filters, reconstructions, latent maps, loss curves.

matplotlib is imported inside each function, so ``import skae`` never needs it.
"""

__all__ = []
