"""Utilities: estimator discovery, shared test settings, the CPU thread limit and the switch
for data-parallel fits."""

from skae.utils._discovery import all_estimators
from skae.utils._distributed import independent_fits
from skae.utils._testing import CHECK_PARAMS, EXPECTED_FAILED_CHECKS
from skae.utils._threads import limit_threads

__all__ = [
    "CHECK_PARAMS",
    "EXPECTED_FAILED_CHECKS",
    "all_estimators",
    "independent_fits",
    "limit_threads",
]
