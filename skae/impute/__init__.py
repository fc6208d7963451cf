"""Imputers: fill in missing entries with an autoencoder."""

from skae.impute._autoencoder_imputer import AutoencoderImputer

__all__ = ["AutoencoderImputer"]
