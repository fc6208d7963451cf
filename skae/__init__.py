"""skae: autoencoders as first-class scikit-learn estimators, built on PyTorch."""

from skae._base import BaseAutoencoder
from skae._engine import NonFiniteLossError
from skae.autoencoders import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    StackedAutoencoder,
    VariationalAutoencoder,
)
from skae.recommenders import CDAE, EASE, AutoRecRegressor, MultDAE, MultVAE

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
