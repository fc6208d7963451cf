"""What the top-N recommenders share: input checks, scoring, ``recommend`` and fold-in.

Every top-N model takes a user x item interaction matrix (users as rows), or a long table of
interactions (:class:`~skae.recommenders.Interactions`) that it turns into one, keeping the
ids of the rows and columns. Scoring a row never needs the user to have been seen in
:meth:`fit`: the row's interactions *are* the user, so new users are folded in without
retraining (Liang et al., WWW 2018, sec. 4.2).
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._contract import TrainingData
from skae._docs import fill_doc
from skae._estimator import (
    TorchEstimatorMixin,
    attributes_restored_on_error,
    predict_block_rows,
)
from skae.metrics._ranking import make_ranking_scorer, mask_seen, top_k
from skae.recommenders._ids import UNSEEN, as_id_array
from skae.recommenders._interactions import as_interactions, encode_table, encode_with
from skae.utils._sklearn_compat import fit_context
from skae.utils._validation import check_float32_range

__all__ = ["BaseTopNRecommender", "BaseNeuralTopNRecommender"]

# The input of the methods that answer for each row of a matrix or each user of a long table,
# up to the entry of what they return.
_ROWS_X = """\
Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_users, n_items), or a long table
        Interactions; a long table (see :meth:`recommend`) gives one row per user id of
        the table, in sorted order.

    Returns
    -------"""


@fill_doc(rows_X=_ROWS_X)
class BaseTopNRecommender(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the top-N recommenders. Not for direct use: subclass it.

    Subclasses implement ``_fit(X)`` (``X`` validated), ``_transform(X)`` and
    ``_predict_scores(X)`` (both return float32 arrays for a validated ``X``).
    """

    def _validate_interactions(self, X, *, reset, return_ids=False):
        """``X`` validated as a matrix; with ``return_ids``, also the user id of each row
        when ``X`` was a long table (else None)."""
        table, row_ids = as_interactions(X), None
        if table is not None:
            X, row_ids = self._table_matrix(table, reset)
        elif reset:
            self.user_encoder_ = self.item_encoder_ = self._user_rows = None
        X = self._check_matrix(X, reset=reset)
        return (X, row_ids) if return_ids else X

    def _table_matrix(self, table, reset):
        """The matrix of a long table, and the user id of each row.

        In ``fit`` the table defines the users and items (their ids are kept); afterwards its
        rows are the table's users in sorted order, folded in from their items, and items the
        model does not know are left out.
        """
        if reset:
            X, self.user_encoder_, self.item_encoder_ = encode_table(table)
            # The training rows, so that recommend(users=...) finds a known user's history.
            self._user_rows = X
            return X, self.user_encoder_.classes_
        check_is_fitted(self)
        users, items, values = table.read()
        cols = encode_with(self.item_ids_, items, "item")
        row_ids, rows = np.unique(users, return_inverse=True)
        known = cols != UNSEEN
        X = sp.csr_matrix((values[known], (rows.reshape(-1)[known], cols[known])),
                          shape=(len(row_ids), self.n_features_in_), dtype=np.float32)
        X.sum_duplicates()
        return X, row_ids

    @property
    def item_ids_(self):
        """The id of each column of ``X`` (n_items,).

        The item ids of a long table given to :meth:`fit`, else the column names of a
        DataFrame, else ``0 .. n_items - 1``.
        """
        encoder = getattr(self, "item_encoder_", None)
        if encoder is not None:
            return encoder.classes_
        names = getattr(self, "feature_names_in_", None)
        return np.asarray(names) if names is not None else np.arange(self.n_features_in_)

    def _known_user_rows(self, users):
        """The training rows of the users with ids ``users`` (a model fitted on a table)."""
        check_is_fitted(self)
        if getattr(self, "user_encoder_", None) is None:
            raise ValueError(
                f"users= needs a {type(self).__name__} fitted on a long table of interactions "
                "(skae.recommenders.Interactions): a matrix has no user ids. Pass the users' "
                "rows as X instead."
            )
        users = as_id_array([users] if np.isscalar(users) else users, "user")
        rows = self.user_encoder_.transform(users)
        if (rows == UNSEEN).any():
            raise ValueError(
                f"Unknown user ids {users[rows == UNSEEN][:5].tolist()}: users= takes ids of the "
                "table given to fit. Recommend to new users by passing their interactions as "
                "X (a long table or a matrix); they are folded in."
            )
        return self._user_rows[rows]

    def _check_matrix(self, X, *, reset):
        X = check_float32_range(validate_data(
            self, X, accept_sparse="csr", dtype=[np.float32, np.float64], reset=reset))
        data = X.data if sp.issparse(X) else X
        if data.size and data.min() < 0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: X must hold "
                f"non-negative interactions (binary or counts), got a minimum of {data.min():g}."
            )
        return X

    def _validate_predict(self, X):
        check_is_fitted(self)
        return self._validate_interactions(X, reset=False)

    def _recommend_rows(self, X, users):
        """The rows to recommend to, and whether the answer is item ids (ids came in)."""
        if users is not None:
            if X is not None:
                raise ValueError("Pass either X (interactions) or users (ids), not both.")
            return self._known_user_rows(users), True
        if X is None:
            raise ValueError("recommend needs X (interactions) or users (ids of users of fit).")
        check_is_fitted(self)
        X, row_ids = self._validate_interactions(X, reset=False, return_ids=True)
        return X, row_ids is not None

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to the interactions of the training users.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items), or a long table
            Non-negative interactions (binary or counts); zero means no interaction. Or a
            long table, one row per interaction: :class:`~skae.recommenders.Interactions`, or
            a DataFrame with columns ``user`` and ``item``; its ids are kept
            (``user_encoder_``, ``item_encoder_``, ``item_ids_``).
        {y_ignored}

        {returns_self}
        """
        with attributes_restored_on_error(self):  # a failed fit changes nothing
            return self._fit(X)

    def transform(self, X):
        """User representations of the rows of ``X`` (folded in: the users may be new).

        {rows_X}
        X_new : ndarray of shape (n_users, n_features_out), dtype float32
            The representation of each user.
        """
        return self._transform(self._validate_predict(X))

    def predict_scores(self, X):
        """Score every item for every row of ``X``; higher means recommend first.

        Rows are folded in from their interactions: users need not have been seen in
        :meth:`fit`. Items the user already has are scored too; see :meth:`recommend`.

        {rows_X}
        scores : ndarray of shape (n_users, n_items), dtype float32
            The score of each item for each user.
        """
        return self._predict_scores(self._validate_predict(X))

    def recommend(self, X=None, n=10, *, users=None, exclude_seen=True, return_scores=False):
        """The ``n`` best items of each row of ``X``, or of each user of ``users``, best first.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items), or a long table
            Interactions of the users to recommend to (new users are folded in). A long
            table (:class:`~skae.recommenders.Interactions`, or a DataFrame with columns
            ``user`` and ``item``) gives one row per user id of the table, in sorted order,
            and the answer is item ids; items unknown to the model are left out.
        n : int, default=10
            Number of items per user; at most ``n_features_in_``.
        users : array-like of shape (n_users,), default=None
            Instead of ``X``: ids of users of the long table given to :meth:`fit`, who get
            recommendations from their interactions there. The answer is item ids.
        exclude_seen : bool, default=True
            Never recommend an item the user already has in ``X``. A user with fewer than
            ``n`` unseen items gets seen items last, with score ``-inf``.
        return_scores : bool, default=False
            Also return the scores of the recommended items.

        Returns
        -------
        items : ndarray of shape (n_users, n)
            Column indices (int64) of the recommended items for a matrix ``X``; their ids
            (``item_ids_[indices]``) for a long table or ``users``.
        scores : ndarray of shape (n_users, n), dtype float32
            Only when ``return_scores`` is True.
        """
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}.")
        for name, flag in (("exclude_seen", exclude_seen), ("return_scores", return_scores)):
            if not isinstance(flag, bool | np.bool_):
                raise ValueError(f"{name} must be True or False, got {flag!r}.")
        X, by_id = self._recommend_rows(X, users)
        if n > X.shape[1]:
            raise ValueError(f"n={n} is larger than the number of items ({X.shape[1]}).")
        items = np.empty((X.shape[0], n), dtype=np.int64)
        scores = np.empty((X.shape[0], n), dtype=np.float32)
        # Row blocks bound the memory: the block's scores, their negation and the partition
        # indices (int64) are alive at once, about four times the scores.
        block_rows = predict_block_rows(4 * X.shape[1])
        for start in range(0, X.shape[0], block_rows):
            rows = slice(start, start + block_rows)
            block = self._predict_scores(X[rows])
            if exclude_seen:
                mask_seen(block, X[rows])
            items[rows], scores[rows] = top_k(block, n)
        if by_id:
            items = self.item_ids_[items]
        return (items, scores) if return_scores else items

    def score(self, X, y=None):
        """NDCG@100 on the users of ``X`` under the strong-generalization protocol.

        20% of each row's interactions are held out (with a fixed seed, so every call and every
        candidate of a grid search sees the same split), the rest is folded in, and the unseen
        items are ranked; see :func:`skae.metrics.make_ranking_scorer`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)
        {y_ignored}

        Returns
        -------
        score : float
            Mean NDCG@100 over the users with at least one held-out interaction.
        """
        # Validated here too, so that score accepts what every other method accepts
        # (float16, lists); the scorer then splits the interactions.
        return make_ranking_scorer("ndcg", k=100)(self, self._validate_predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class BaseNeuralTopNRecommender(TorchEstimatorMixin, BaseTopNRecommender):
    """A top-N recommender trained by the shared engine. Not for direct use: subclass it.

    Subclasses implement the engine hooks ``_build_module`` and ``_loss``, ``_encode(module, x)``
    and ``_item_scores(module, x)`` (tensor in, tensor out), and may override
    ``_training_arrays(X, warm)`` (the named arrays the engine serves; by default ``{"x": X}``).
    """

    def _training_arrays(self, X, warm):
        return {"x": X}

    def _fit(self, X):
        return self._train(X)

    def _training_data(self, X, y=None, *, warm, incremental):
        X = self._validate_interactions(X, reset=not warm)
        self._n_features_out = self.n_components
        return TrainingData(self._training_arrays(X, warm), X=X)

    def _transform(self, X):
        return self._predict_batches(X, self._encode, self.n_components)

    def _predict_scores(self, X):
        return self._predict_batches(X, self._item_scores, self.n_features_in_)
