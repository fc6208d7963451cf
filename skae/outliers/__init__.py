"""Outlier detection: estimators with scikit-learn's ``OutlierMixin`` conventions."""

from skae.outliers._autoencoder_detector import AutoencoderOutlierDetector

__all__ = ["AutoencoderOutlierDetector"]
