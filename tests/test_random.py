"""Row-keyed noise (``skae._random``): normal, reproducible, independent of the batch."""

import numpy as np
import pytest
from scipy import stats

from skae._random import keyed_standard_normal


@pytest.fixture
def rows():
    return np.random.default_rng(0).random((2000, 30)).astype(np.float32)


def test_draws_are_standard_normal(rows):
    eps = keyed_standard_normal(rows, seed=3, shape=(4, 5))
    assert eps.shape == (2000, 4, 5) and eps.dtype == np.float32
    assert stats.kstest(eps.ravel(), "norm").pvalue > 1e-3
    assert abs(eps.mean()) < 0.02 and abs(eps.std() - 1) < 0.02
    # Draws of one row are uncorrelated with each other, and across seeds.
    flat = eps.reshape(len(rows), -1)
    corr = np.corrcoef(flat, rowvar=False)
    assert np.abs(corr[np.triu_indices_from(corr, 1)]).max() < 0.1
    other = keyed_standard_normal(rows, seed=4, shape=(4, 5))
    assert abs(np.corrcoef(eps.ravel(), other.ravel())[0, 1]) < 0.02


def test_draws_depend_only_on_seed_and_row(rows):
    eps = keyed_standard_normal(rows, seed=0, shape=(3,))
    np.testing.assert_array_equal(eps, keyed_standard_normal(rows, seed=0, shape=(3,)))
    order = np.random.default_rng(1).permutation(len(rows))
    np.testing.assert_array_equal(keyed_standard_normal(rows[order], 0, (3,)), eps[order])
    np.testing.assert_array_equal(keyed_standard_normal(rows[5:6], 0, (3,)), eps[5:6])
    # float64 input reads the float32 bits: the same draws as the float32 row.
    np.testing.assert_array_equal(keyed_standard_normal(rows.astype(np.float64), 0, (3,)), eps)


def test_nearby_rows_get_unrelated_draws():
    # Rows differing in one bit of one feature, zero rows, repeated rows.
    base = np.zeros((1, 50), dtype=np.float32)
    variants = np.repeat(base, 200, axis=0)
    variants[np.arange(1, 200), np.arange(1, 200) % 50] = np.float32(1e-30) * np.arange(1, 200)
    eps = keyed_standard_normal(variants, seed=0, shape=(8,))
    assert len({row.tobytes() for row in eps}) == 200
    assert stats.kstest(eps.ravel(), "norm").pvalue > 1e-3
    twice = keyed_standard_normal(np.vstack([base, base]), seed=0, shape=(8,))
    np.testing.assert_array_equal(twice[0], twice[1])
