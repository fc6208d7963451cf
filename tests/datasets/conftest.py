"""Fixtures for the skae.datasets tests.

Real-data tests read from the data home. Where ``SKAE_DATA`` is set (as in CI)
a missing file is a configuration error and the test FAILS, so that a broken
data home cannot silently turn the suite green. Without ``SKAE_DATA`` the
default ``~/skae_data`` is optional and missing files make the test skip.
"""

import pytest

from tests.conftest import data_home_or_skip


@pytest.fixture
def require_data():
    """``require_data(*relpaths)``: call it first thing in a real-data test.

    It is called from the test body rather than inside a fixture so that a
    missing file is reported as a test failure, not as a setup error.
    """
    return data_home_or_skip
