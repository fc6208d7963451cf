"""Settings for the whole pytest run (tests and doctests in ``skae/``).

Loaded before anything imports scipy, which reads ``SCIPY_ARRAY_API`` once at import:
scikit-learn's ``check_array_api_input`` (the only common check that calls
``inverse_transform``) runs only with it set.
"""

import os
import re

import pytest
from _pytest.doctest import DoctestItem

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import torch  # noqa: E402

# One torch thread: on the 2 shared cores of CI, two OpenMP threads under contention were up
# to 9x slower than one.
torch.set_num_threads(1)

# Files that a docstring example calling each loader needs. Such a doctest is skipped without
# a data home, and fails where SKAE_DATA names one that lacks them, like the data tests
# (tests.conftest.data_home_or_skip). A new loader with a doctest adds its files here.
_LOADER_FILES = {
    "load_mnist": tuple(f"mnist/{f}-ubyte.gz" for f in (
        "train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")),
    "load_fashion_mnist": tuple(f"fashion-mnist/{f}-ubyte.gz" for f in (
        "train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")),
    "load_movielens": ("movielens/ml-100k/u.data", "movielens/ml-100k/u1.base",
                       "movielens/ml-100k/u1.test"),
    "load_movielens_items": ("movielens/ml-100k/u.item",),
    "load_movielens_users": ("movielens/ml-100k/u.user",),
    "load_20newsgroups": ("20newsgroups/20news-bydate.tar.gz",),
    "load_reuters21578": (*(f"reuters21578/reut2-{i:03d}.sgm" for i in range(22)),
                          "reuters21578/all-topics-strings.lc.txt"),
    "load_odds": ("odds/cardio.mat", "odds/wbc.mat"),
}
_LOADER_CALL = re.compile(r"\b(load_\w+)\(")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, DoctestItem):
            # Docstring examples train for a few epochs so that they run in seconds: not
            # converging is expected there, and tests/ checks that the warning is raised.
            item.add_marker(
                pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"))


def pytest_runtest_setup(item):
    if isinstance(item, DoctestItem) and item.dtest is not None:
        calls = {m for ex in item.dtest.examples for m in _LOADER_CALL.findall(ex.source)}
        files = [f for name in sorted(calls) for f in _LOADER_FILES.get(name, ())]
        if files:
            from tests.conftest import data_home_or_skip

            data_home_or_skip(*files)
