"""What the top-N recommenders share: input checks, scoring, ``recommend`` and fold-in.

Every top-N model takes a user x item interaction matrix (users as rows). Scoring a row never
needs the user to have been seen in :meth:`fit`: the row's interactions *are* the user, so new
users are folded in without retraining (Liang et al., WWW 2018, sec. 4.2).
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
from skae._estimator import (
    TorchEstimatorMixin,
    attributes_restored_on_error,
    predict_block_rows,
)
from skae.metrics._ranking import make_ranking_scorer, mask_seen, top_k
from skae.utils._sklearn_compat import fit_context
from skae.utils._validation import check_float32_range

__all__ = ["BaseTopNRecommender", "BaseNeuralTopNRecommender"]



class BaseTopNRecommender(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the top-N recommenders. Not for direct use: subclass it.

    Subclasses implement ``_fit(X)`` (``X`` validated), ``_transform(X)`` and
    ``_predict_scores(X)`` (both return float32 arrays for a validated ``X``).
    """

    def _validate_interactions(self, X, *, reset):
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

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to the interactions of the training users.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)
            Non-negative interactions (binary or counts); zero means no interaction.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with attributes_restored_on_error(self):  # a failed fit changes nothing
            return self._fit(X)

    def transform(self, X):
        """User representations of the rows of ``X`` (folded in: the users may be new).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)

        Returns
        -------
        X_new : ndarray of shape (n_users, n_features_out), dtype float32
            The representation of each user.
        """
        return self._transform(self._validate_predict(X))

    def predict_scores(self, X):
        """Score every item for every row of ``X``; higher means recommend first.

        Rows are folded in from their interactions: users need not have been seen in
        :meth:`fit`. Items the user already has are scored too; see :meth:`recommend`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)

        Returns
        -------
        scores : ndarray of shape (n_users, n_items), dtype float32
            The score of each item for each user.
        """
        return self._predict_scores(self._validate_predict(X))

    def recommend(self, X, n=10, *, exclude_seen=True, return_scores=False):
        """The ``n`` best items of each row of ``X``, best first.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)
            Interactions of the users to recommend to (new users are folded in).
        n : int, default=10
            Number of items per user; at most ``n_features_in_``.
        exclude_seen : bool, default=True
            Never recommend an item the user already has in ``X``. A user with fewer than
            ``n`` unseen items gets seen items last, with score ``-inf``.
        return_scores : bool, default=False
            Also return the scores of the recommended items.

        Returns
        -------
        items : ndarray of shape (n_users, n), dtype int64
            Column indices of the recommended items.
        scores : ndarray of shape (n_users, n), dtype float32
            Only when ``return_scores`` is True.
        """
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}.")
        for name, flag in (("exclude_seen", exclude_seen), ("return_scores", return_scores)):
            if not isinstance(flag, bool | np.bool_):
                raise ValueError(f"{name} must be True or False, got {flag!r}.")
        X = self._validate_predict(X)
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
        return (items, scores) if return_scores else items

    def score(self, X, y=None):
        """NDCG@100 on the users of ``X`` under the strong-generalization protocol.

        20% of each row's interactions are held out (with a fixed seed, so every call and every
        candidate of a grid search sees the same split), the rest is folded in, and the unseen
        items are ranked; see :func:`skae.metrics.make_ranking_scorer`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)
        y : None
            Ignored.

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
