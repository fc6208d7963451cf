"""The autoencoder family, one private module per variant."""

from skae.autoencoders._autoencoder import Autoencoder

__all__ = ["Autoencoder"]
