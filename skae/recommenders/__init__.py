"""Recommenders built on autoencoders: rating prediction (AutoRec) and top-N ranking."""

from skae.recommenders._autorec import AutoRecRegressor
from skae.recommenders._cdae import CDAE
from skae.recommenders._cdl import CDL
from skae.recommenders._ease import EASE
from skae.recommenders._interactions import InteractionMatrix, Interactions, interaction_matrix
from skae.recommenders._mdacf import MDACFRegressor
from skae.recommenders._mult import MultDAE, MultVAE
from skae.recommenders._side import FeatureTable

__all__ = ["AutoRecRegressor", "CDAE", "CDL", "EASE", "FeatureTable", "InteractionMatrix",
           "Interactions", "MDACFRegressor", "MultDAE", "MultVAE", "interaction_matrix"]
