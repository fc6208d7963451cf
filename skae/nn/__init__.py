"""Torch building blocks of skae: modules, activations, losses and penalties.

Nothing in :mod:`skae.nn` depends on numpy or scikit-learn; estimators in :mod:`skae` wrap them.
"""

from skae.nn._autoencoder import Center, MLPAutoencoder
from skae.nn._blocks import ACTIVATIONS, init_linear_, make_activation, make_mlp
from skae.nn._losses import LOSSES, cross_entropy_loss, reconstruction_loss, squared_loss

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Center",
    "MLPAutoencoder",
    "cross_entropy_loss",
    "init_linear_",
    "make_activation",
    "make_mlp",
    "reconstruction_loss",
    "squared_loss",
]
