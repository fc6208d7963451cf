"""Fixtures shared by the tests (thread and array-API settings live in the root conftest)."""

import os

import pytest


def data_home_or_skip(relative):
    """Path of ``relative`` in the data home; fail when SKAE_DATA is set but the file is absent.

    CI points SKAE_DATA at the shared data, so there a missing file is an error, not a skip.
    """
    from skae.datasets import get_data_home

    path = get_data_home() / relative
    if path.exists():
        return path
    if os.environ.get("SKAE_DATA"):
        pytest.fail(f"SKAE_DATA is set but {path} does not exist.")
    pytest.skip(f"{path} not found; set SKAE_DATA to a data home that has it.")


@pytest.fixture(scope="session")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0), y
