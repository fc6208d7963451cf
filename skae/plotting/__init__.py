"""Plots people want to look at: learned filters, reconstructions, latent maps, loss curves.

matplotlib is imported inside each function, so ``import skae`` never needs it.
"""

from skae.plotting._curves import plot_loss_curve
from skae.plotting._generative import plot_latent_map, plot_samples, tile_images
from skae.plotting._images import plot_filters, plot_reconstructions
from skae.plotting._show import show_or_save

__all__ = [
    "plot_filters",
    "plot_latent_map",
    "plot_loss_curve",
    "plot_reconstructions",
    "plot_samples",
    "show_or_save",
    "tile_images",
]
