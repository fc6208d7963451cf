"""A fit that runs its planned schedule does not warn (issue 30).

A cosine schedule plans all ``max_iter`` epochs (its step size reaches 0 at the last one), so
reaching ``max_iter`` is its plan; the constant and adaptive schedules still warn, as
scikit-learn's MLP does.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import CDAE, Autoencoder, AutoencoderImputer


def _warns(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit()
    return model, [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("schedule, warns", [("cosine", False), ("constant", True),
                                             ("adaptive", True)])
def test_only_unplanned_schedules_warn_at_max_iter(schedule, warns):
    X = np.random.RandomState(0).rand(60, 8)
    model, caught = _warns(lambda: Autoencoder(n_components=2, learning_rate=schedule,
                                               max_iter=3, random_state=0).fit(X))
    assert model.n_iter_ == 3  # max_iter reached in every case
    assert bool(caught) is warns


def test_imputer_default_cosine_schedule_does_not_warn():
    X = np.random.RandomState(0).rand(80, 6)
    X[np.random.RandomState(1).rand(*X.shape) < 0.2] = np.nan
    assert AutoencoderImputer().learning_rate == "cosine"
    model, caught = _warns(lambda: AutoencoderImputer(max_iter=4, random_state=0).fit(X))
    assert model.n_iter_ == 4 and not caught
    # The same fit at a constant step size says it stopped early.
    _, caught = _warns(lambda: AutoencoderImputer(max_iter=4, learning_rate="constant",
                                                  random_state=0).fit(X))
    assert len(caught) == 1


def test_cdae_default_fit_runs_its_schedule_without_warning():
    X = (np.random.RandomState(0).rand(40, 30) > 0.8).astype(np.float32)
    assert CDAE().learning_rate == "cosine"
    model, caught = _warns(lambda: CDAE(n_components=4, max_iter=5, random_state=0).fit(X))
    assert model.n_iter_ == 5 and not caught
