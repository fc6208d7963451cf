"""Fixtures shared by the tests (thread and array-API settings live in the root conftest)."""

import os

import numpy as np
import pytest


def data_home_or_skip(*relpaths):
    """The data home, if every file ``relpaths`` names is in it; else fail or skip.

    Where ``SKAE_DATA`` is set (as in CI) a missing file is a configuration error and the
    test FAILS, so a broken data home cannot turn the suite green. Without it the default
    ``~/skae_data`` is optional and a missing file skips the test, saying which file.
    """
    from skae.datasets import DATA_HOME_ENV, get_data_home

    home = get_data_home()
    missing = [str(home / rel) for rel in relpaths if not (home / rel).is_file()]
    if not missing:
        return home
    if os.environ.get(DATA_HOME_ENV):
        pytest.fail(f"{DATA_HOME_ENV}={os.environ[DATA_HOME_ENV]} is set but these data files "
                    f"are missing: {', '.join(missing)}.", pytrace=False)
    # MovieLens may not be redistributed, so the repository cannot ship it: without a data home
    # these tests cannot run. CI sets SKAE_DATA, where the branch above fails instead.
    pytest.skip(f"real data not available: {', '.join(missing)} missing and {DATA_HOME_ENV} "
                "is not set (the data sets cannot ship with skae; point SKAE_DATA at a data "
                "home holding them to run this test)")


@pytest.fixture(scope="session")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0), y


def small_fit_data(cls):
    """Small training data ``(X, y)`` of the kind the estimator class ``cls`` fits."""
    from sklearn.base import ClassifierMixin, OutlierMixin, RegressorMixin, TransformerMixin

    from skae.recommenders._topn_base import BaseTopNRecommender

    rng = np.random.RandomState(0)
    if issubclass(cls, RegressorMixin):  # AutoRec, mDA-CF: (user id, item id) -> rating
        X = np.column_stack([rng.randint(0, 15, 120), rng.randint(0, 10, 120)])
        return X, rng.randint(1, 6, 120).astype(float)
    if issubclass(cls, ClassifierMixin):  # classes 0-2, and unlabelled rows (-1)
        return rng.rand(80, 12), np.tile([0, 1, 2, -1], 20)
    if issubclass(cls, BaseTopNRecommender):  # a user x item interaction matrix
        return (rng.rand(60, 20) > 0.7).astype(np.float32), None
    assert issubclass(cls, TransformerMixin | OutlierMixin), cls
    return rng.rand(80, 12), None
