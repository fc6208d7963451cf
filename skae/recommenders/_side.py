"""Side information: tables of user or item features, checked and looked up by id.

Hybrid recommenders take what is known about users and items besides the interactions as
*feature tables*, passed to ``fit``, ``predict``... as keyword arguments (``user_features``,
``item_features``). A table is

- a pandas DataFrame indexed by id, whose columns are numeric features (rows are looked up
  by id, so their order does not matter and the table may describe more ids than needed);
- an array or sparse matrix whose row ``k`` describes the id ``k`` (integer ids), or, for a
  top-N model, the ``k``-th column of ``X``;
- either of these wrapped in :class:`FeatureTable`, which scikit-learn's cross-validation
  passes on whole (see its docstring).

:func:`check_feature_table` turns any of them into ``(ids, values)``, with errors that name
the offending ids or rows; :class:`TableIndex` finds the rows of given ids.
"""

import numpy as np
import scipy.sparse as sp

from skae.recommenders._ids import UNSEEN, IdEncoder, as_id_array

__all__ = ["FeatureTable", "TableIndex", "check_feature_table"]

# How many offending ids an error message lists.
_SHOW = 5

_CV_HINT = (
    " In cross-validation or a grid search, a table with exactly as many rows as X has samples "
    "is split like X (scikit-learn's rule for fit parameters); wrap it in "
    "skae.recommenders.FeatureTable to pass it whole."
)


class FeatureTable:
    """A feature table that cross-validation passes on whole, never split like the samples.

    scikit-learn's cross-validation (``cross_validate``, ``GridSearchCV``...) splits every
    array-like fit parameter whose length equals the number of samples of ``X`` as if it
    held one value per sample. A feature table has one row per *user* or *item*, not per
    sample, so when its length happens to equal ``n_samples`` it would be cut to the rows of
    the training fold. Wrapped in this object (which is not array-like) it reaches ``fit``
    unchanged. Estimators that take feature tables accept the wrapper wherever they accept
    the table itself.

    A DataFrame indexed by id is safe without the wrapper in one sense: a split table keeps
    its ids, so a missing id is reported as an error, never silently replaced. An array
    table, whose rows are matched to ids by position, is not: wrap it whenever its length
    may equal ``n_samples``.

    Parameters
    ----------
    table : DataFrame, array-like or sparse matrix
        The feature table (see :mod:`skae.recommenders._side`).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.recommenders import FeatureTable
    >>> table = FeatureTable(np.eye(3))
    >>> table.table.shape
    (3, 3)
    """

    def __init__(self, table):
        if isinstance(table, FeatureTable):
            table = table.table
        self.table = table

    def __repr__(self):
        shape = getattr(self.table, "shape", None)
        return f"FeatureTable({type(self.table).__name__} of shape {shape})"


def _is_frame(table):
    return hasattr(table, "index") and hasattr(table, "columns") and hasattr(table, "iloc")


def _frame_values(table, name):
    from pandas.api.types import is_numeric_dtype

    non_numeric = [str(c) for c, d in table.dtypes.items() if not is_numeric_dtype(d)]
    if non_numeric:
        raise ValueError(
            f"{name} must hold numeric features; columns {non_numeric[:_SHOW]} are not. Turn "
            "the table into numbers first, e.g. with a ColumnTransformer (for MovieLens: "
            "skae.datasets.make_movielens_transformer), keeping the index: "
            "pd.DataFrame(ct.fit_transform(table), index=table.index)."
        )
    return table.to_numpy(dtype=np.float64, na_value=np.nan)


def check_feature_table(table, name):
    """Validate a feature table; return the ids it describes and its rows as numbers.

    Parameters
    ----------
    table : DataFrame, array-like, sparse matrix or FeatureTable
        See the module docstring.
    name : str
        The keyword it was passed as (``"item_features"``), for error messages.

    Returns
    -------
    ids : ndarray of shape (n_rows,) or None
        The ids of a DataFrame's rows (its index, as :func:`~skae.recommenders._ids.
        as_id_array` returns them); None for an array, whose row ``k`` describes position or
        integer id ``k``.
    values : ndarray of shape (n_rows, n_features), dtype float64
        The features, dense.

    Raises
    ------
    ValueError
        Non-numeric columns, NaN or infinite values (naming the ids or rows), duplicated ids,
        a table with no rows or columns.
    """
    if isinstance(table, FeatureTable):
        table = table.table
    if _is_frame(table):
        ids = as_id_array(np.asarray(table.index), f"{name} index:")
        distinct, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            raise ValueError(f"{name} has several rows for the ids "
                             f"{distinct[counts > 1][:_SHOW].tolist()}; one row per id.")
        values = _frame_values(table, name)
    else:
        ids = None
        if sp.issparse(table):
            values = table.toarray().astype(np.float64, copy=False)
        else:
            try:
                values = np.asarray(table, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be numeric (a DataFrame indexed by id, an array "
                                 f"or a sparse matrix): {exc}") from None
        if values.ndim != 2:
            raise ValueError(f"{name} must be 2-D (one row per id), got shape {values.shape}.")
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(f"{name} has shape {values.shape}: it needs rows and feature columns.")
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        where = (f"ids {ids[bad][:_SHOW].tolist()}" if ids is not None
                 else f"rows {np.flatnonzero(bad)[:_SHOW].tolist()}")
        raise ValueError(f"{name} has NaN or infinite values in {bad.sum()} rows ({where}); "
                         "impute them first (e.g. sklearn.impute.SimpleImputer).")
    return ids, values


class TableIndex:
    """Find the rows of a checked feature table that describe given ids.

    Parameters
    ----------
    ids : ndarray or None
        As returned by :func:`check_feature_table`; None for a positional table.
    n_rows : int
        Number of rows of the table.
    name : str
        The keyword the table was passed as, for error messages.
    """

    def __init__(self, ids, n_rows, name):
        self.name, self.n_rows = name, n_rows
        self.encoder = None if ids is None else IdEncoder(name).fit(ids)
        self._positions = None if ids is None else np.unique(ids, return_index=True)[1]

    def rows(self, ids):
        """Row of each id, :data:`~skae.recommenders._ids.UNSEEN` (-1) where none describes it.

        A positional table describes the integer ids ``0 .. n_rows - 1``; string ids are
        never found in it.
        """
        ids = np.asarray(ids)
        if self.encoder is None:
            if ids.dtype.kind not in "iu":
                return np.full(len(ids), UNSEEN, dtype=np.int64)
            found = (ids >= 0) & (ids < self.n_rows)
            return np.where(found, ids, UNSEEN).astype(np.int64)
        codes = self.encoder.transform(ids)
        # The encoder's codes index its sorted vocabulary; map them back to table rows.
        return np.where(codes >= 0, self._positions[np.maximum(codes, 0)], UNSEEN)

    def require(self, ids, whose):
        """:meth:`rows` of ``ids``, all of which must be described, else a ValueError."""
        rows = self.rows(ids)
        missing = rows < 0
        if missing.any():
            absent = np.unique(np.asarray(ids)[missing])
            how = ("has no row for" if self.encoder is not None
                   else f"has {self.n_rows} rows (row k describes id k), too few for")
            raise ValueError(
                f"{self.name} {how} {len(absent)} {whose} ids of the training data, e.g. "
                f"{absent[:_SHOW].tolist()}; every {whose} in fit needs its features."
                + _CV_HINT
            )
        return rows
