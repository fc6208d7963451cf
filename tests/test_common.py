"""scikit-learn's estimator checks over every public skae estimator, found automatically."""

import pytest
from sklearn.utils.estimator_checks import check_estimator

from skae import Autoencoder, DocumentAutoencoder
from skae.utils import CHECK_PARAMS, EXPECTED_FAILED_CHECKS, all_estimators
from skae.utils._sklearn_compat import parametrize_with_checks

ESTIMATORS = [cls(**CHECK_PARAMS.get(name, {})) for name, cls in all_estimators()]

# CHECK_PARAMS train for a few epochs so that the checks run in seconds: the small check data
# are not fitted to convergence, and the ConvergenceWarning that says so is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_discovery_finds_every_estimator():
    names = {name for name, _ in all_estimators()}
    assert {"Autoencoder"} <= names
    assert not any(name.startswith("Base") for name in names)


def _expected_failures(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", [Autoencoder(), DocumentAutoencoder()],
                         ids=["Autoencoder", "DocumentAutoencoder"])
def test_default_constructor_passes_check_estimator(estimator):
    # Users run check_estimator on the estimator itself: the defaults must pass, not only the
    # small settings above (DocumentAutoencoder's default network is 500-250-125 wide).
    results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 40
