"""Utilities: estimator discovery and shared test settings."""

from skae.utils._discovery import all_estimators
from skae.utils._testing import CHECK_PARAMS, EXPECTED_FAILED_CHECKS

__all__ = ["CHECK_PARAMS", "EXPECTED_FAILED_CHECKS", "all_estimators"]
