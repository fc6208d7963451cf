"""skae: autoencoders as first-class scikit-learn estimators, built on PyTorch."""

from skae._base import BaseAutoencoder
from skae._engine import NonFiniteLossError
from skae.autoencoders import Autoencoder
from skae.autoencoders import (
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    StackedAutoencoder,
)
from skae.autoencoders import VariationalAutoencoder
from skae.recommenders import AutoRecRegressor
from skae.recommenders import CDAE, EASE, MultDAE, MultVAE

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "AutoRecRegressor",
    "BaseAutoencoder",
    "CDAE",
    "ContractiveAutoencoder",
    "DenoisingAutoencoder",
    "EASE",
    "MultDAE",
    "MultVAE",
    "NonFiniteLossError",
    "SparseAutoencoder",
    "StackedAutoencoder",
    "VariationalAutoencoder",
    "__version__",
]
