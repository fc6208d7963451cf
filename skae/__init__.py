"""skae: autoencoders as first-class scikit-learn estimators, built on PyTorch."""

# First, before anything imports torch: passive OpenMP waiting (see skae._openmp).
import skae._openmp  # noqa: F401, I001
from skae._base import BaseAutoencoder
from skae._engine import NonFiniteLossError
from skae.autoencoders import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    DocumentAutoencoder,
    SparseAutoencoder,
    StackedAutoencoder,
    VariationalAutoencoder,
)
from skae.impute import AutoencoderImputer
from skae.outliers import AutoencoderOutlierDetector
from skae.recommenders import (
    CDAE,
    CDL,
    EASE,
    AutoRecRegressor,
    MDACFRegressor,
    MultDAE,
    MultVAE,
)
from skae.semi_supervised import StackedAutoencoderClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "AutoencoderImputer",
    "AutoencoderOutlierDetector",
    "AutoRecRegressor",
    "BaseAutoencoder",
    "CDAE",
    "CDL",
    "ContractiveAutoencoder",
    "DenoisingAutoencoder",
    "DocumentAutoencoder",
    "EASE",
    "MDACFRegressor",
    "MultDAE",
    "MultVAE",
    "NonFiniteLossError",
    "SparseAutoencoder",
    "StackedAutoencoder",
    "StackedAutoencoderClassifier",
    "VariationalAutoencoder",
    "__version__",
]
