"""The autoencoder family, one private module per variant."""

from skae.autoencoders._autoencoder import Autoencoder
from skae.autoencoders._contractive import ContractiveAutoencoder
from skae.autoencoders._denoising import DenoisingAutoencoder
from skae.autoencoders._document import DocumentAutoencoder
from skae.autoencoders._sparse import SparseAutoencoder
from skae.autoencoders._stacked import StackedAutoencoder
from skae.autoencoders._variational import VariationalAutoencoder

__all__ = [
    "Autoencoder",
    "ContractiveAutoencoder",
    "DenoisingAutoencoder",
    "DocumentAutoencoder",
    "SparseAutoencoder",
    "StackedAutoencoder",
    "VariationalAutoencoder",
]
