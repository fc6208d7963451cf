"""Splitting interaction data for the evaluation of recommenders."""

from skae.model_selection._split import split_interactions, strong_generalization_split

__all__ = ["split_interactions", "strong_generalization_split"]
