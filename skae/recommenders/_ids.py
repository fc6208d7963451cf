"""User and item ids: validation of ``(user, item)`` pairs and encoding to contiguous indices.

Recommenders take ids as they come (integers or strings, numpy or pandas) and work on
indices ``0 .. n - 1``. This module is the one place that does the mapping, so every
recommender treats ids, unseen ids and bad input the same way:

- :func:`check_pairs` validates ``X`` of shape (n_pairs, 2) and returns its user and item columns;
- :class:`IdEncoder` learns the vocabulary of one column and encodes ids, with :data:`UNSEEN`
  (-1) for ids not seen in :meth:`IdEncoder.fit` (scikit-learn's ``OrdinalEncoder`` does the
  encoding);
- :func:`pairs_to_csr` builds the sparse interaction or rating matrix from encoded pairs.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import OrdinalEncoder
from sklearn.utils.validation import validate_data

from skae._docs import fill_doc
from skae.utils._validation import check_float32_range

__all__ = ["UNSEEN", "IdEncoder", "as_id_array", "check_pairs", "pairs_to_csr"]

#: Code that :meth:`IdEncoder.transform` gives to ids absent from the fitted vocabulary.
UNSEEN = -1


def _integral_floats(a, name):
    if not np.isfinite(a).all():
        raise ValueError(
            f"{name} ids contain missing (NaN, None) or infinite values; every pair needs "
            "both ids."
        )
    if not np.array_equal(a, np.round(a)):
        raise ValueError(
            f"{name} ids must be integers or strings; got non-integer numbers "
            f"such as {a[a != np.round(a)][0]!r}."
        )
    if a.size and np.abs(a).max() > _MAX_EXACT_FLOAT_ID:
        # Above 2**53 floats are not exact integers: distinct ids may already have merged.
        raise ValueError(
            f"{name} ids given as floats must be at most 2**53 in magnitude (exact integers); "
            f"got {np.abs(a).max():.6g}. Pass large ids as integers or strings."
        )
    return a.astype(np.int64)


_MAX_EXACT_FLOAT_ID = 2.0**53


def _refuse_trailing_nul(values, name):
    """Refuse string ids that end with a NUL character (``"u1\\x00"``).

    numpy's fixed-width strings drop trailing NULs, so such an id would silently become
    another one (``"u1"``) and the two would merge. Checked on what the caller passed (a
    list, a tuple, an object array), before anything converts it; an array of numpy strings
    has already lost them.
    """
    if isinstance(values, np.ndarray):
        if values.dtype.kind != "O":
            return
    elif not isinstance(values, list | tuple):
        return
    bad = next((v for v in values if isinstance(v, str) and v.endswith("\x00")), None)
    if bad is not None:
        raise ValueError(
            f"{name} ids end with a NUL character, e.g. {bad!r}: numpy's fixed-width strings "
            f"drop trailing NULs, so it would merge with {bad.rstrip(chr(0))!r}. Remove or "
            "replace the NUL characters in the ids."
        )


def as_id_array(values, name="id"):
    """Return ``values`` as a 1-D id array: int64 for numbers, unicode for strings.

    Floats are accepted when they are whole numbers (``3.0`` is the id ``3``), as pandas
    gives for an integer column with missing values removed. Missing values, non-integer
    numbers, booleans and a mix of numbers and strings are errors.

    Parameters
    ----------
    values : array-like of shape (n,)
        Ids, numeric or strings (numpy, pandas or a list).
    name : str, default="id"
        What the ids are, for error messages ("user", "item").

    Returns
    -------
    ids : ndarray of shape (n,), dtype int64 or str

    Raises
    ------
    ValueError
        If the ids are missing (NaN, None), not whole numbers, booleans, or mix numbers
        and strings.

    Examples
    --------
    >>> from skae.recommenders._ids import as_id_array
    >>> as_id_array([3.0, 1.0])
    array([3, 1])
    >>> as_id_array(["b", "a"])
    array(['b', 'a'], dtype='<U1')
    """
    values = values.to_numpy() if hasattr(values, "to_numpy") else values
    _refuse_trailing_nul(values, name)
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"{name} ids must be 1-D, got an array of shape {a.shape}.")
    kind = a.dtype.kind
    if kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError(
            f"{name} ids must fit in int64; got {a.max()} (an unsigned id above 2**63 - 1 "
            "would wrap around and merge with another). Pass such ids as strings."
        )
    if kind in "iu":
        return a.astype(np.int64, copy=False)
    if kind == "f":
        return _integral_floats(a, name)
    if kind in "US":
        return a.astype(str)
    if kind == "O":
        is_str = np.fromiter((isinstance(v, str) for v in a), bool, len(a))
        if is_str.all():
            return a.astype(str)
        if is_str.any():
            raise ValueError(f"{name} ids mix strings and other values; use one kind of id.")
        if any(isinstance(v, bool | np.bool_) for v in a):
            raise ValueError(f"{name} ids must be integers or strings; got booleans.")
        is_int = np.fromiter(
            (isinstance(v, Integral) and not isinstance(v, bool | np.bool_) for v in a),
            bool, len(a),
        )
        if is_int.all():
            try:
                return a.astype(np.int64)
            except OverflowError:
                raise ValueError(
                    f"{name} ids must fit in int64; got integers beyond 2**63 - 1. Pass such "
                    "ids as strings."
                ) from None
        try:
            return _integral_floats(a.astype(np.float64), name)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ValueError) and "ids" in str(exc):
                raise
            raise ValueError(
                f"{name} ids must be integers or strings without missing values; got "
                f"values of type {sorted({type(v).__name__ for v in a})}."
            ) from None
    raise ValueError(f"{name} ids must be integers or strings; got dtype {a.dtype}.")


# The parameter of fit, fit_transform and transform.
_IDS_PARAMETERS = """\
Parameters
    ----------
    ids : array-like of shape (n,)
        Integer or string ids, as :func:`as_id_array` accepts them."""


@fill_doc(ids_parameters=_IDS_PARAMETERS)
class IdEncoder:
    """Map ids (integers or strings) to contiguous indices ``0 .. n_ids - 1``.

    :class:`~sklearn.preprocessing.OrdinalEncoder` (``handle_unknown="use_encoded_value"``,
    ``unknown_value=-1``) on one column of ids, plus what recommenders need: ids validated by
    :func:`as_id_array` (``3.0`` is the id ``3``, NaN is an error), 1-D int64 codes, and ids
    of the other kind (strings for integer ids, or the reverse) unseen rather than an error.

    The vocabulary is the sorted set of ids seen in :meth:`fit`, so the encoding does not
    depend on the order of the pairs. Ids not in the vocabulary encode to :data:`UNSEEN`
    (-1) instead of raising: a recommender decides what to predict for them.

    Parameters
    ----------
    name : str, default="id"
        What the ids are ("user", "item"), used in error messages.

    Attributes
    ----------
    classes_ : ndarray of shape (n_ids,), dtype int64 or str
        The sorted vocabulary; ``classes_[k]`` is the id of index ``k``.
    encoder_ : sklearn.preprocessing.OrdinalEncoder or None
        The fitted encoder (``classes_`` is its ``categories_[0]``); None if fitted on no id.

    Notes
    -----
    ``OrdinalEncoder`` looks strings up one at a time in Python, so only the distinct ids
    (``np.unique``) go through it and their codes are spread back: ratings repeat each id
    many times.

    Examples
    --------
    >>> from skae.recommenders._ids import IdEncoder
    >>> enc = IdEncoder("user").fit(["bob", "ann", "bob"])
    >>> enc.classes_
    array(['ann', 'bob'], dtype='<U3')
    >>> enc.transform(["bob", "eve"])
    array([ 1, -1])
    >>> enc.inverse_transform([0])
    array(['ann'], dtype='<U3')
    """

    def __init__(self, name="id"):
        self.name = name

    def fit(self, ids):
        """Learn the vocabulary of ``ids``.

        {ids_parameters}

        Returns
        -------
        self : IdEncoder
            The fitted encoder.
        """
        self.fit_transform(ids)
        return self

    def fit_transform(self, ids):
        """Learn the vocabulary and return the indices of ``ids``.

        {ids_parameters}

        Returns
        -------
        codes : ndarray of shape (n,), dtype int64
            Index of each id in :attr:`classes_`.
        """
        distinct, inverse = np.unique(as_id_array(ids, self.name), return_inverse=True)
        self.encoder_, self.classes_ = None, distinct
        if distinct.size:
            self.encoder_ = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=UNSEEN, dtype=np.int64
            ).set_output(transform="default")  # an ndarray whatever set_config says
            self.classes_ = self.encoder_.fit(distinct.reshape(-1, 1)).categories_[0]
        # categories_ is the sorted set of ids, i.e. ``distinct``: the code of each id is
        # its position there, which np.unique already gave.
        return inverse.astype(np.int64, copy=False).reshape(-1)

    @property
    def n_ids(self):
        """Size of the vocabulary."""
        return len(self.classes_)

    def __len__(self):
        return self.n_ids

    def transform(self, ids):
        """Encode ``ids``: their indices, :data:`UNSEEN` (-1) for ids not seen in :meth:`fit`.

        {ids_parameters}

        Returns
        -------
        codes : ndarray of shape (n,), dtype int64
            Index of each id in :attr:`classes_`, or :data:`UNSEEN`.
        """
        a = as_id_array(ids, self.name)
        # Numbers never equal strings: ids of the other kind are all unseen (OrdinalEncoder
        # would raise).
        if self.encoder_ is None or a.size == 0 or (a.dtype.kind == "U") != (
            self.classes_.dtype.kind == "U"
        ):
            return np.full(a.shape, UNSEEN, dtype=np.int64)
        distinct, inverse = np.unique(a, return_inverse=True)
        codes = self.encoder_.transform(distinct.reshape(-1, 1)).reshape(-1)
        return codes.astype(np.int64, copy=False)[inverse.reshape(-1)]

    def inverse_transform(self, codes):
        """Decode indices back to ids.

        Parameters
        ----------
        codes : array-like of shape (n,), int
            Indices, all in ``0 .. n_ids - 1``.

        Returns
        -------
        ids : ndarray of shape (n,)
            ``classes_[codes]``.
        """
        codes = np.asarray(codes, dtype=np.int64)
        if codes.size and (codes.min() < 0 or codes.max() >= self.n_ids):
            raise ValueError(f"{self.name} indices must be in [0, {self.n_ids - 1}].")
        return self.classes_[codes]


def check_pairs(estimator, X, y="no_validation", *, reset):
    """Validate ``(user, item)`` pairs for ``estimator``; return user ids, item ids (and y).

    Runs scikit-learn's ``validate_data`` first (so empty, 1-D, complex or non-finite input
    and feature names get scikit-learn's messages and ``n_features_in_`` is set when
    ``reset``), then requires exactly two columns: user id, then item id.

    Parameters
    ----------
    estimator : estimator instance
    X : array-like or DataFrame of shape (n_pairs, 2)
        Columns: user id, item id (integers or strings).
    y : array-like of shape (n_pairs,) or None, default="no_validation"
        Numeric targets (e.g. ratings), validated as finite floats. ``"no_validation"``
        (the default, for ``predict``) skips them; ``None`` is an error for an estimator
        that requires y.
    reset : bool
        True in ``fit`` (learn ``n_features_in_``), False in ``predict``.

    Returns
    -------
    users, items : ndarray of shape (n_pairs,)
        As returned by :func:`as_id_array`.
    y : ndarray of shape (n_pairs,), dtype float64
        Only when ``y`` is validated.

    Raises
    ------
    ValueError
        Width other than 2, missing or malformed ids, NaN or infinite ``y``, empty ``X``.
    """
    if isinstance(X, list | tuple):
        # Rows as Python sequences: validate_data makes numpy strings of them, which drop
        # trailing NULs (see _refuse_trailing_nul).
        for column, name in enumerate(("user", "item")):
            _refuse_trailing_nul([row[column] for row in X
                                  if isinstance(row, list | tuple) and len(row) > column], name)
    no_y = isinstance(y, str) and y == "no_validation"
    if no_y:
        X = validate_data(estimator, X, dtype=None, reset=reset)
    else:
        X, y = validate_data(estimator, X, y, dtype=None, y_numeric=True, reset=reset)
        y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(y).all():
            # An object y with None passes scikit-learn's finiteness check, then becomes NaN.
            raise ValueError(
                f"y holds missing or non-finite values (e.g. None or NaN) at rows "
                f"{np.flatnonzero(~np.isfinite(y))[:5].tolist()}; every rating must be a number."
            )
        check_float32_range(y, "y")
    if X.shape[1] != 2:
        raise ValueError(
            f"X must have exactly 2 columns (user id, item id), got n_features={X.shape[1]}."
        )
    users, items = as_id_array(X[:, 0], "user"), as_id_array(X[:, 1], "item")
    return (users, items) if no_y else (users, items, y)


def pairs_to_csr(rows, cols, shape, values=None):
    """Sparse matrix of the pairs ``(rows[k], cols[k])`` with duplicates averaged.

    The result is canonical CSR (sorted indices, no duplicates) whose stored entries are
    exactly the observed pairs, even when a value is 0: the pattern, not the value, says
    what was observed.

    Parameters
    ----------
    rows, cols : ndarray of shape (n,), int
        Encoded indices (no :data:`UNSEEN`).
    shape : tuple of int
    values : ndarray of shape (n,), default=None
        Value of each pair (e.g. a rating); ``None`` means 1 (an interaction).

    Returns
    -------
    matrix : scipy.sparse.csr_matrix of dtype float32
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    flat = rows * shape[1] + cols
    uniq, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    if values is None:
        data = np.ones(len(uniq))
    else:
        data = np.bincount(inverse.ravel(), weights=values, minlength=len(uniq)) / counts
    r, c = np.divmod(uniq, shape[1])
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=shape[0]))])
    return sp.csr_matrix((data.astype(np.float32), c, indptr), shape=shape)
