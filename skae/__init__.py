"""skae: autoencoders as first-class scikit-learn estimators, built on PyTorch."""

from skae._base import BaseAutoencoder
from skae._engine import NonFiniteLossError
from skae.autoencoders import Autoencoder

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "BaseAutoencoder",
    "NonFiniteLossError",
    "__version__",
]
