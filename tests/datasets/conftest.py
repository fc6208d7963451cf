"""Fixtures for the skae.datasets tests.

Real-data tests read from the data home. Where ``SKAE_DATA`` is set (as in CI)
a missing file is a configuration error and the test FAILS, so that a broken
data home cannot silently turn the suite green. Without ``SKAE_DATA`` the
default ``~/skae_data`` is optional and missing files make the test skip.
"""

import os

import pytest

from skae.datasets import DATA_HOME_ENV, get_data_home


def _require_data(*relpaths):
    """Return the data home if every ``relpath`` exists in it; else fail or skip."""
    home = get_data_home()
    missing = [rel for rel in relpaths if not (home / rel).is_file()]
    if not missing:
        return home
    listing = ", ".join(str(home / rel) for rel in missing)
    if os.environ.get(DATA_HOME_ENV):
        pytest.fail(
            f"{DATA_HOME_ENV}={os.environ[DATA_HOME_ENV]} is set but these data files are "
            f"missing: {listing}. Fix the data home or unset {DATA_HOME_ENV}.",
            pytrace=False,
        )
    pytest.skip(f"real data not available: {listing} missing and {DATA_HOME_ENV} is not set")


@pytest.fixture
def require_data():
    """``require_data(*relpaths)``: call it first thing in a real-data test.

    It is called from the test body rather than inside a fixture so that a
    missing file is reported as a test failure, not as a setup error.
    """
    return _require_data
