"""Id encoding shared by the recommenders: vocabularies, unseen ids, bad ids, pair validation."""

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.preprocessing import OrdinalEncoder

from skae.recommenders._ids import UNSEEN, IdEncoder, as_id_array, check_pairs, pairs_to_csr


class _Pairs(RegressorMixin, BaseEstimator):
    """A stand-in estimator for check_pairs (validate_data needs an estimator)."""


def test_integer_ids_sorted_vocabulary_and_unseen():
    enc = IdEncoder("user")
    codes = enc.fit_transform([30, 10, 20, 10])
    np.testing.assert_array_equal(enc.classes_, [10, 20, 30])
    np.testing.assert_array_equal(codes, [2, 0, 1, 0])
    np.testing.assert_array_equal(enc.transform([20, 99, 10, -5]), [1, UNSEEN, 0, UNSEEN])
    assert len(enc) == enc.n_ids == 3
    np.testing.assert_array_equal(enc.inverse_transform(codes), [30, 10, 20, 10])


def test_string_ids_from_pandas_and_order_invariance():
    ids = pd.Series(["b", "a", "c", "a"])
    codes = IdEncoder().fit_transform(ids)
    codes_rev = IdEncoder().fit_transform(ids[::-1])
    np.testing.assert_array_equal(codes, [1, 0, 2, 0])
    np.testing.assert_array_equal(codes_rev, codes[::-1])
    enc = IdEncoder().fit(np.array(["b", "a"], dtype=object))
    np.testing.assert_array_equal(enc.transform(["a", "zz"]), [0, UNSEEN])


def test_ids_of_the_other_kind_are_unseen_not_errors():
    enc = IdEncoder().fit([1, 2])
    np.testing.assert_array_equal(enc.transform(["1", "2"]), [UNSEEN, UNSEEN])
    np.testing.assert_array_equal(IdEncoder().fit(["1"]).transform([1]), [UNSEEN])


def test_whole_floats_are_integer_ids():
    np.testing.assert_array_equal(as_id_array([3.0, 1.0]), [3, 1])
    assert as_id_array(np.array([2.0, 5.0], dtype=object)).dtype == np.int64
    enc = IdEncoder().fit([1, 2])
    np.testing.assert_array_equal(enc.transform([2.0, 1.0]), [1, 0])


@pytest.mark.parametrize(
    "ids, match",
    [
        ([1.0, np.nan], "missing .* or infinite"),
        ([1.0, np.inf], "missing .* or infinite"),
        ([1.5, 2.0], "non-integer"),
        (np.array(["a", 1], dtype=object), "mix strings"),
        (np.array([1, None], dtype=object), "missing"),
        (pd.array([1, None], dtype="Int64"), "missing"),
        (np.array([True, False]), "dtype bool"),
        (np.zeros((2, 2)), "1-D"),
    ],
)
def test_bad_ids_raise_clear_errors(ids, match):
    with pytest.raises(ValueError, match=match):
        IdEncoder("user").fit(ids)


def test_inverse_transform_rejects_out_of_range_codes():
    enc = IdEncoder("item").fit([5, 6])
    with pytest.raises(ValueError, match=r"item indices must be in \[0, 1\]"):
        enc.inverse_transform([UNSEEN])


def test_check_pairs_returns_columns_and_validates():
    est = _Pairs()
    X = pd.DataFrame({"user": ["u1", "u2"], "item": [10, 20]})
    users, items, y = check_pairs(est, X, [4, 5], reset=True)
    np.testing.assert_array_equal(users, ["u1", "u2"])
    np.testing.assert_array_equal(items, [10, 20])
    assert y.dtype == np.float64 and est.n_features_in_ == 2
    np.testing.assert_array_equal(est.feature_names_in_, ["user", "item"])
    users, items = check_pairs(est, X, reset=False)
    assert len(users) == len(items) == 2


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((3, 3)), np.ones(3), "exactly 2 columns .* got n_features=3"),
        (np.zeros((3, 1)), np.ones(3), "exactly 2 columns .* got n_features=1"),
        (np.zeros((0, 2)), np.ones(0), "0 sample"),
        (np.zeros((2, 2)), [1.0, np.nan], "Input y contains NaN"),
        (np.zeros((2, 2)), [1.0, np.inf], "Input y contains infinity"),
        (np.zeros((2, 2)), None, "requires y to be passed"),
        (np.array([[1.0, np.nan]]), [1.0], "Input X contains NaN"),
        (np.zeros(2), [1.0, 2.0], "Expected 2D array"),
    ],
)
def test_check_pairs_rejects_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        check_pairs(_Pairs(), X, y, reset=True)


def test_pairs_to_csr_averages_duplicates_and_keeps_zero_ratings():
    rows, cols = np.array([1, 0, 1, 1]), np.array([2, 0, 2, 0])
    R = pairs_to_csr(rows, cols, (2, 3), values=np.array([4.0, 0.0, 2.0, 5.0]))
    expected = np.array([[0.0, 0, 0], [5, 0, 3]])
    np.testing.assert_array_equal(R.toarray(), expected)
    # The rating 0 of pair (0, 0) is observed: it is a stored entry.
    assert R.nnz == 3 and R.has_canonical_format and R.dtype == np.float32
    M = pairs_to_csr(rows, cols, (2, 3))
    np.testing.assert_array_equal(M.indices, R.indices)
    np.testing.assert_array_equal(M.indptr, R.indptr)
    np.testing.assert_array_equal(M.data, 1.0)


@pytest.mark.parametrize("kind", ["int", "str", "object"])
def test_codes_match_ordinal_encoder(kind):
    # IdEncoder is OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1) on
    # one column, with int64 codes.
    rng = np.random.default_rng(0)
    fit_ids, new_ids = rng.integers(0, 50, 500), rng.integers(0, 70, 300)
    if kind != "int":
        fit_ids, new_ids = (np.array([f"id{i}" for i in a]) for a in (fit_ids, new_ids))
    if kind == "object":
        fit_ids, new_ids = pd.Series(fit_ids.astype(object)), new_ids.astype(object)
    ref = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    expected_fit = ref.fit_transform(np.asarray(fit_ids).reshape(-1, 1)).ravel()
    expected_new = ref.transform(np.asarray(new_ids).reshape(-1, 1)).ravel()
    enc = IdEncoder()
    codes, new_codes = enc.fit_transform(fit_ids), enc.transform(new_ids)
    for got, expected in ((codes, expected_fit), (new_codes, expected_new)):
        assert isinstance(got, np.ndarray) and got.dtype == np.int64 and got.ndim == 1
        np.testing.assert_array_equal(got, expected)
    assert (new_codes == UNSEEN).any()
    np.testing.assert_array_equal(enc.classes_, ref.categories_[0])
    assert isinstance(enc.encoder_, OrdinalEncoder) and len(enc) == len(ref.categories_[0])


def test_codes_are_arrays_whatever_the_transform_output_config():
    with config_context(transform_output="pandas"):
        enc = IdEncoder()
        codes = enc.fit_transform(["b", "a"])
        new = enc.transform(["a", "c"])
    assert type(codes) is np.ndarray and type(new) is np.ndarray
    np.testing.assert_array_equal(new, [0, UNSEEN])


def test_empty_ids():
    enc = IdEncoder().fit([])
    assert len(enc) == 0 and enc.encoder_ is None
    np.testing.assert_array_equal(enc.transform([1, 2]), [UNSEEN, UNSEEN])
    empty = IdEncoder().fit([1, 2]).transform([])
    assert empty.shape == (0,) and empty.dtype == np.int64


# -- trailing NUL characters (issue 26, item 7) -----------------------------------------------
_NUL_IDS = ["u1", "u1\x00", "u2", "u2"]


@pytest.mark.parametrize("ids", [
    _NUL_IDS,
    tuple(_NUL_IDS),
    np.array(_NUL_IDS, dtype=object),
    pd.Series(_NUL_IDS),
], ids=["list", "tuple", "object-array", "Series"])
def test_ids_that_differ_by_a_trailing_nul_are_refused_not_merged(ids):
    # numpy's fixed-width strings drop trailing NULs: "u1\x00" silently became "u1".
    with pytest.raises(ValueError, match=r"NUL character.*'u1\\x00'.*merge with 'u1'"):
        IdEncoder("user").fit(ids)
    enc = IdEncoder("user").fit(["u1", "u2"])
    with pytest.raises(ValueError, match="NUL character"):
        enc.transform(ids)


@pytest.mark.parametrize("as_frame", [False, True])
def test_mdacf_refuses_ids_with_a_trailing_nul_in_fit_and_predict(as_frame):
    from skae import MDACFRegressor

    users = ["u1", "u1\x00", "u2", "u2"] * 3
    items = [0, 1, 0, 1] * 3

    def pairs(u, i):
        if as_frame:
            return pd.DataFrame({"user": u, "item": i})
        return [[a, b] for a, b in zip(u, i, strict=True)]

    y = [1.0, 2.0, 3.0, 4.0] * 3
    with pytest.raises(ValueError, match="user ids end with a NUL character"):
        MDACFRegressor(max_iter=2).fit(pairs(users, items), y)
    clean = ["u1", "u3", "u2", "u2"] * 3
    model = MDACFRegressor(max_iter=2).fit(pairs(clean, items), y)
    with pytest.raises(ValueError, match="user ids end with a NUL character"):
        model.predict(pairs(["u1\x00"], [0]))
