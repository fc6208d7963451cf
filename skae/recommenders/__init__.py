"""Recommenders built on autoencoders: rating prediction (AutoRec) and top-N ranking."""

from skae.recommenders._autorec import AutoRecRegressor
from skae.recommenders._cdae import CDAE
from skae.recommenders._ease import EASE
from skae.recommenders._mult import MultDAE, MultVAE

__all__ = ["AutoRecRegressor", "CDAE", "EASE", "MultDAE", "MultVAE"]
