"""Utilities: estimator discovery, shared test settings and the CPU thread limit."""

from skae.utils._discovery import all_estimators
from skae.utils._testing import CHECK_PARAMS, EXPECTED_FAILED_CHECKS
from skae.utils._threads import limit_threads

__all__ = ["CHECK_PARAMS", "EXPECTED_FAILED_CHECKS", "all_estimators", "limit_threads"]
