"""Long interaction tables: one row per (user, item) event, as users hold their data.

The top-N recommenders learn from a user x item matrix. Users hold a *long* table instead
(MovieLens' ``user, item, rating, timestamp``; a log of purchases or plays). This module turns
one into the other and keeps the id mappings:

- :class:`Interactions` says how to read a table: which columns hold the user and item ids,
  which one (if any) the rating or weight, and the threshold above which a rating counts as
  an interaction (implicit feedback). Every top-N recommender accepts it wherever it accepts
  a matrix, and returns item ids for it;
- :func:`interaction_matrix` builds the CSR matrix and the id of each row and column, for
  users who want the matrix themselves;
- :func:`as_interactions` recognises a table passed where a matrix is expected: a DataFrame
  with columns ``user`` and ``item`` is read with the defaults, and one whose column names
  look like ids (``userId``, ``movie_id``...) is refused with a message saying what to do,
  rather than being read as a matrix with a few "items".
"""

from collections import namedtuple
from numbers import Real

import numpy as np

from skae.recommenders._ids import UNSEEN, IdEncoder, as_id_array, pairs_to_csr

__all__ = ["InteractionMatrix", "Interactions", "as_interactions", "encode_table",
           "encode_with", "interaction_matrix"]

#: What :func:`interaction_matrix` returns.
InteractionMatrix = namedtuple("InteractionMatrix", ["matrix", "user_ids", "item_ids"])

# Column names that are ids or event attributes, not items: a DataFrame with one of them is a
# long table, not a user x item matrix (compared lower-case without "_", "-", " " and "id").
_LONG_TABLE_NAMES = {"user", "users", "item", "items", "movie", "product", "customer",
                     "session", "rating", "timestamp", "time", "date"}


class Interactions:
    """A long table of interactions and how to read it.

    Pass it to ``fit``, ``recommend``, ``predict_scores`` or ``transform`` of any top-N
    recommender (:class:`~skae.CDAE`, :class:`~skae.MultDAE`, :class:`~skae.MultVAE`,
    :class:`~skae.EASE`, :class:`~skae.CDL`) in place of the user x item matrix. A plain
    DataFrame with columns ``user`` and ``item`` is read as ``Interactions(table)``: every row
    is one interaction, other columns are ignored.

    Parameters
    ----------
    table : DataFrame or dict of 1-D arrays
        One row per event.
    user, item : str, default="user", "item"
        The columns of the user and item ids (integers or strings).
    rating : str or None, default=None
        The column of ratings or weights. None: every row is one interaction (value 1).
    threshold : float or None, default=None
        Implicit feedback: only rows with ``rating >= threshold`` are interactions, each of
        value 1 (Liang et al., WWW 2018, keep MovieLens ratings of 4 and more). None: the
        ratings are the values of the matrix (they must be non-negative). Needs ``rating``.

    Notes
    -----
    Repeated ``(user, item)`` pairs are averaged. Users and items that keep no interaction
    after the threshold are not part of the matrix.

    Examples
    --------
    >>> import pandas as pd
    >>> from skae.recommenders import Interactions, interaction_matrix
    >>> ratings = pd.DataFrame({"userId": [7, 7, 9], "movieId": [10, 20, 20],
    ...                         "rating": [5, 2, 4]})
    >>> table = Interactions(ratings, user="userId", item="movieId", rating="rating",
    ...                      threshold=4)
    >>> X, users, items = interaction_matrix(table)
    >>> X.toarray(), users, items
    (array([[1., 0.],
           [0., 1.]], dtype=float32), array([7, 9]), array([10, 20]))
    """

    def __init__(self, table, *, user="user", item="item", rating=None, threshold=None):
        if isinstance(table, Interactions):
            raise TypeError("table is already an Interactions; pass its .table.")
        self.table = table
        self.user = user
        self.item = item
        self.rating = rating
        self.threshold = threshold

    def __repr__(self):
        return (f"Interactions({type(self.table).__name__}, user={self.user!r}, "
                f"item={self.item!r}, rating={self.rating!r}, threshold={self.threshold!r})")

    def _column(self, name, what):
        try:
            present = name in self.table
        except TypeError:
            present = False
        if not present:
            columns = getattr(self.table, "columns", None)
            columns = list(self.table.keys() if columns is None else columns)
            raise ValueError(
                f"The interaction table has no {what} column {name!r}; its columns are "
                f"{columns}. Name it with Interactions(table, {what}=...)."
            )
        column = self.table[name]
        return column.to_numpy() if hasattr(column, "to_numpy") else np.asarray(column)

    def read(self):
        """The table's ``(users, items, values)``, one entry per kept row.

        Returns
        -------
        users, items : ndarray of shape (n,)
            Ids, as :func:`skae.recommenders._ids.as_id_array` returns them.
        values : ndarray of shape (n,), dtype float64
            The value of each interaction (1 without ratings or with a threshold).
        """
        if not hasattr(self.table, "keys") or not hasattr(self.table, "__getitem__"):
            raise TypeError(
                f"Interactions needs a DataFrame or a dict of columns, got "
                f"{type(self.table).__name__}."
            )
        if self.threshold is not None and (
                self.rating is None or not isinstance(self.threshold, Real)
                or isinstance(self.threshold, bool) or not np.isfinite(self.threshold)):
            raise ValueError(
                f"threshold={self.threshold!r} needs a rating column (rating=...) and a finite "
                "number: rows with rating >= threshold are the interactions."
            )
        users = as_id_array(self._column(self.user, "user"), "user")
        items = as_id_array(self._column(self.item, "item"), "item")
        if len(users) != len(items):
            raise ValueError(f"The user and item columns differ in length ({len(users)} and "
                             f"{len(items)}).")
        if self.rating is None:
            return users, items, np.ones(len(users))
        try:
            values = self._column(self.rating, "rating").astype(np.float64)
        except (TypeError, ValueError) as exc:
            if "column" in str(exc):
                raise
            raise ValueError(f"The rating column {self.rating!r} must be numeric.") from None
        if not np.isfinite(values).all():
            raise ValueError(f"The rating column {self.rating!r} holds missing or infinite "
                             "values; drop those rows or fill them.")
        if self.threshold is not None:
            keep = values >= self.threshold
            return users[keep], items[keep], np.ones(int(keep.sum()))
        if values.size and values.min() < 0:
            raise ValueError(
                f"The rating column {self.rating!r} holds negative values (min "
                f"{values.min():g}); interactions must be non-negative. Pass a threshold to "
                "keep the rows with high ratings as interactions."
            )
        return users, items, values


def _looks_long(name):
    if not isinstance(name, str):
        return False
    key = name.lower().replace("_", "").replace("-", "").replace(" ", "")
    return key in _LONG_TABLE_NAMES or key.removesuffix("ids") in _LONG_TABLE_NAMES or (
        key.removesuffix("id") in _LONG_TABLE_NAMES)


def as_interactions(X):
    """``X`` as :class:`Interactions` if it is a long table, None if it is a matrix.

    A DataFrame with columns ``user`` and ``item`` is a long table read with the defaults.
    A DataFrame with a column named like an id or an event attribute (``userId``,
    ``movie_id``, ``timestamp``...) but not both ``user`` and ``item`` is refused: read as a
    matrix it would be a model of a few "items" named after its columns.

    Raises
    ------
    ValueError
        For such a DataFrame, with the call that reads it as a table.
    """
    if isinstance(X, Interactions):
        return X
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    names = list(columns)
    if "user" in names and "item" in names:
        return Interactions(X)
    suspicious = [c for c in names if _looks_long(c)]
    if suspicious:
        user = next((c for c in names if _looks_long(c) and "user" in c.lower()), "...")
        item = next((c for c in names if isinstance(c, str) and c != user and any(
            w in c.lower() for w in ("item", "movie", "product"))), "...")
        rating = next((c for c in names if isinstance(c, str) and any(
            w in c.lower() for w in ("rating", "weight", "count"))), None)
        raise ValueError(
            f"X looks like a long table of interactions (columns {names}), not a user x item "
            f"matrix. Pass skae.recommenders.Interactions(X, user={user!r}, item={item!r}, "
            f"rating={rating!r}, threshold=None) to learn from its rows (with a threshold, "
            "ratings at or above it are the interactions), or build the matrix with "
            "skae.recommenders.interaction_matrix."
        )
    return None


def interaction_matrix(table, *, user="user", item="item", rating=None, threshold=None):
    """The user x item matrix of a long table, and the id of each row and column.

    Parameters
    ----------
    table : DataFrame, dict of 1-D arrays or Interactions
        One row per event. An :class:`Interactions` carries its own reading; the keyword
        arguments are then not used.
    user, item, rating, threshold
        How to read the table; see :class:`Interactions`.

    Returns
    -------
    result : InteractionMatrix
        A named tuple ``(matrix, user_ids, item_ids)``: the CSR matrix of shape
        ``(n_users, n_items)``, dtype float32, and the sorted ids of its rows and columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skae.recommenders import interaction_matrix
    >>> log = pd.DataFrame({"user": ["ann", "bob", "ann"], "item": ["x", "y", "y"]})
    >>> X, users, items = interaction_matrix(log)
    >>> X.toarray(), users.tolist(), items.tolist()
    (array([[1., 1.],
           [0., 1.]], dtype=float32), ['ann', 'bob'], ['x', 'y'])
    """
    if not isinstance(table, Interactions):
        table = Interactions(table, user=user, item=item, rating=rating, threshold=threshold)
    matrix, user_encoder, item_encoder = encode_table(table)
    return InteractionMatrix(matrix, user_encoder.classes_, item_encoder.classes_)


def encode_table(table):
    """The CSR matrix of an :class:`Interactions` and its fitted user and item IdEncoders."""
    users, items, values = table.read()
    if not len(users):
        raise ValueError("The interaction table has no interaction (no rows, or none at or "
                         "above the threshold).")
    user_encoder, item_encoder = IdEncoder("user"), IdEncoder("item")
    rows, cols = user_encoder.fit_transform(users), item_encoder.fit_transform(items)
    matrix = pairs_to_csr(rows, cols, (len(user_encoder), len(item_encoder)), values)
    return matrix, user_encoder, item_encoder


def encode_with(vocabulary, ids, name):
    """Positions of ``ids`` in ``vocabulary`` (any order), :data:`UNSEEN` where absent."""
    ids = as_id_array(ids, name)
    vocabulary = np.asarray(vocabulary)
    codes = np.full(len(ids), UNSEEN, dtype=np.int64)
    if not len(ids) or not len(vocabulary) or (ids.dtype.kind == "U") != (
            vocabulary.dtype.kind in "UO"):
        return codes
    if vocabulary.dtype.kind == "O":
        vocabulary = vocabulary.astype(str)
    order = np.argsort(vocabulary, kind="stable")
    sorted_vocab = vocabulary[order]
    where = np.searchsorted(sorted_vocab, ids).clip(0, len(vocabulary) - 1)
    found = sorted_vocab[where] == ids
    codes[found] = order[where[found]]
    return codes
