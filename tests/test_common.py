"""scikit-learn's estimator checks over every public skae estimator, found automatically."""

import pytest
from sklearn.utils.estimator_checks import check_estimator

from skae import Autoencoder, AutoencoderOutlierDetector
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


def test_default_constructor_passes_check_estimator():
    # Users run check_estimator on Autoencoder() itself: the defaults must pass, not only
    # the small settings above.
    results = check_estimator(Autoencoder(), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 40


def test_outlier_detector_is_checked_with_its_defaults():
    # No CHECK_PARAMS entry: the parametrized checks above run on AutoencoderOutlierDetector()
    # itself, the default constructor users would pass to check_estimator.
    assert "AutoencoderOutlierDetector" not in CHECK_PARAMS
    defaults = AutoencoderOutlierDetector().get_params()
    assert [e.get_params() for e in ESTIMATORS
            if isinstance(e, AutoencoderOutlierDetector)] == [defaults]
