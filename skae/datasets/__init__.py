"""Loaders for the data sets used in skae's examples, tests and benchmarks.

All loaders read plain files (MNIST, Fashion-MNIST, MovieLens, 20 Newsgroups,
Reuters-21578) from a *data home* folder: the ``data_home``
argument, else the ``SKAE_DATA`` environment variable, else ``~/skae_data``.
They never download anything unless called with ``download_if_missing=True``.
"""

from skae.datasets._base import DATA_HOME_ENV, get_data_home
from skae.datasets._mnist import load_fashion_mnist, load_mnist
from skae.datasets._movielens import (
    load_movielens,
    load_movielens_items,
    load_movielens_users,
    make_movielens_transformer,
)
from skae.datasets._newsgroups import load_20newsgroups
from skae.datasets._odds import ODDS_DATASETS, load_odds
from skae.datasets._reuters import load_reuters21578

__all__ = [
    "DATA_HOME_ENV",
    "ODDS_DATASETS",
    "get_data_home",
    "load_20newsgroups",
    "load_fashion_mnist",
    "load_mnist",
    "load_movielens",
    "load_movielens_items",
    "load_movielens_users",
    "load_reuters21578",
    "load_odds",
    "make_movielens_transformer",
]
