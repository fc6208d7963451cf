"""Semi-supervised estimators: labelled and unlabelled rows (``y == -1``) in one ``fit``."""

from skae.semi_supervised._stacked_classifier import StackedAutoencoderClassifier

__all__ = ["StackedAutoencoderClassifier"]
