"""CDL: collaborative deep learning for top-N recommendation (Wang, Wang & Yeung, KDD 2015)."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_is_fitted

from skae._constraints import network_constraints
from skae._contract import TrainingData
from skae._docs import DOCS, drop_params, fill_doc
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    PREDICT_BATCH_SIZE,
    check_hidden_layer_sizes,
    store_init_params,
)
from skae.metrics._ranking import mask_seen, top_k
from skae.nn import masking_noise
from skae.nn._hybrid import CDLModule
from skae.recommenders._als import solve_rows
from skae.recommenders._side import TableIndex, check_feature_table
from skae.recommenders._topn_base import BaseNeuralTopNRecommender
from skae.utils._sklearn_compat import Interval, fit_context

__all__ = ["CDL"]

# The engine's parameters but early stopping: the closed-form steps need every item and every
# user, so there is nothing to hold out.
_ENGINE = {k: v for k, v in ENGINE_PARAMETER_CONSTRAINTS.items()
           if k not in ("early_stopping", "validation_fraction")}


# The engine's parameters as documented for the other estimators, less those CDL has not.
_ENGINE_DOC = drop_params(DOCS["engine_params"], "early_stopping", "validation_fraction")


@fill_doc(cdl_engine_params=_ENGINE_DOC)
class CDL(BaseNeuralTopNRecommender):
    """Collaborative deep learning: matrix factorisation tied to an autoencoder of item content.

    A stacked denoising autoencoder (SDAE) reads each item's content (its features) corrupted
    by masking noise and reconstructs the clean content; its middle layer gives the item's
    code ``theta_j``. The item's latent factor is that code plus an offset learned from the
    interactions, ``v_j = theta_j + eps_j``, and user ``i`` prefers item ``j`` as much as
    ``u_i . v_j`` (Wang, Wang & Yeung, 2015). Training maximises the paper's posterior
    (eq. 5-7):

    - the interactions: ``sum_ij C_ij / 2 (R_ij - u_i . v_j)^2`` with confidence ``C_ij = a``
      for an interaction and ``b < a`` for its absence (implicit feedback);
    - the priors ``lambda_u / 2 ||u_i||^2`` and ``lambda_v / 2 ||v_j - theta_j||^2``;
    - the reconstruction ``lambda_n / 2 ||x^_j - x_j||^2`` and the weight penalty
      ``lambda_w / 2 ||W||^2`` of the SDAE (``alpha`` here, on another scale: see the Notes).

    Each epoch starts with the paper's alternating closed-form updates (eq. 8-9) of all user
    factors, then all item factors given the current codes, followed by one pass of Adam
    steps on the SDAE with the factors fixed: the SDAE learns to reconstruct the content and
    to make its codes close to the item factors.

    **Cold-start items.** An item with no interaction in :meth:`fit` (its column of ``X`` is
    empty: the catalogue knows it, the history does not) is scored from its content alone:
    its factor is its code, ``v_j = theta_j``, the paper's out-of-matrix prediction, and its
    empty column is not read as negatives. New items passed to :meth:`predict_scores` or
    :meth:`recommend` with ``item_features`` are scored the same way.

    **Fold-in of users.** Every row passed to :meth:`transform`, :meth:`predict_scores` or
    :meth:`recommend` is a user to fold in: its factor is the exact solution of the user
    update (eq. 8) for that row with the item factors fixed, without retraining. For a
    training row it is the user's learned factor at convergence.

    Without ``item_features`` every item has the same (constant) content, and CDL is
    weighted matrix factorisation whose item factors are shrunk toward one learned vector.
    Any positive entry of ``X`` counts as one interaction.

    Parameters
    ----------
    n_components : int, default=50
        Number of latent factors ``K``, the size of the SDAE's code (the paper's ``K = 50``).

    hidden_layer_sizes : tuple of int, default=(200,)
        Sizes of the SDAE's encoder layers between the content and the code (mirrored by the
        decoder); the paper's 2-layer SDAE is ``(200,)`` with ``K=50``.

    activation : {"sigmoid", "tanh", "relu", "identity"}, default="sigmoid"
        Activation of the SDAE's hidden and code layers (the paper: sigmoid). The
        reconstruction is linear.

    noise_level : float, default=0.3
        Corruption level of the SDAE's input, masking noise: the fraction of content entries
        set to 0.

    a : float, default=1.0
        Confidence ``a`` of an observed interaction.

    b : float, default=0.01
        Confidence ``b`` of an unobserved one; must be smaller than ``a``.

    lambda_u : float, default=0.1
        Prior precision of the user factors.

    lambda_v : float, default=10.0
        Prior precision of the item factors around their codes: how closely the factors
        follow the content.

    lambda_n : float, default=1.0
        Weight of the content reconstruction.

    {cdl_engine_params}

    {engine_attributes_section}

    user_factors_ : ndarray of shape (n_users, n_components)
        ``u_i`` of the training users, in row order of ``X``.

    item_factors_ : ndarray of shape (n_items, n_components)
        ``v_j`` of the items (the code for cold-start items).

    cold_items_ : ndarray of shape (n_items,), dtype bool
        True for the items without any interaction in :meth:`fit`.

    {topn_encoder_attributes}

    item_ids_ : ndarray of shape (n_items,)
        The id of each column of ``X``, by which a DataFrame of ``item_features`` is looked
        up and which :meth:`recommend` returns for ids:
        ``item_encoder_.classes_`` after a long table, else ``feature_names_in_`` when ``X``
        has string column names, else ``0 .. n_items - 1``.

    See Also
    --------
    MDACFRegressor : Rating prediction with autoencoders of user and item features.
    CDAE : A denoising autoencoder of the interactions alone.

    Notes
    -----
    **Feature tables.** ``item_features`` is a DataFrame indexed by item id (the ids of
    ``item_ids_``; it may hold more rows, which :meth:`fit` ignores), or an array or sparse
    matrix whose row ``k`` describes column ``k`` of ``X`` (exactly ``n_items`` rows in
    :meth:`fit`). Scale the features (the SDAE reconstructs them by squared error):
    ``skae.datasets.make_movielens_transformer`` does for MovieLens. At prediction time the
    rows of ``item_features`` that are not catalogue items are *new items*, appended after
    the ``n_features_in_`` catalogue columns in table order (for an array, the rows after the
    first ``n_features_in_``).

    **Differences from the paper.** The paper trains the SDAE by backpropagation on mean
    squared terms within its own optimizer and reports ``lambda_n`` for bag-of-words input;
    here the SDAE takes Adam steps through skae's engine with the factors fixed during an
    epoch, the reconstruction is linear (features need not lie in [0, 1]), and the items
    without interactions are out-of-matrix rather than negatives.

    **The weight penalty** ``alpha`` means what it means for every skae estimator:
    ``alpha / 2 ||W||^2`` added to the *mean* loss of a minibatch of items. The paper's
    ``lambda_w / 2 ||W||^2`` stands next to the loss *summed* over the items, so its
    ``lambda_w`` is ``alpha * n_items``, and its value 1e-4 is ``alpha`` of about 6e-8 on
    MovieLens 100K's 1,682 items. The default is 0, as for the other estimators: against
    the paper's value it moved the item factors learned in 15 epochs of
    ``benchmarks/bench_hybrid.py``'s setting by at most 0.008 (factors of up to 1.36).

    References
    ----------
    .. [1] H. Wang, N. Wang and D.-Y. Yeung, "Collaborative deep learning for recommender
       systems", KDD 2015, pp. 1235-1244.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import CDL
    >>> rng = np.random.RandomState(0)
    >>> genres = rng.randint(0, 2, (20, 4)).astype(float)  # row k: the k-th item (column)
    >>> X = (rng.rand(30, 20) < 0.3).astype(float)
    >>> model = CDL(n_components=4, hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    >>> model = model.fit(X, item_features=genres)
    >>> model.recommend(X[:2], n=3).shape
    (2, 3)
    >>> new_movie = np.vstack([genres, [[1.0, 0.0, 0.0, 1.0]]])  # row 20: a new item
    >>> model.predict_scores(X[:2], item_features=new_movie).shape
    (2, 21)
    """

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "device")

    _parameter_constraints = {
        **_ENGINE,
        **network_constraints("n_components", "hidden_layer_sizes", "activation", "noise_level"),
        "a": [Interval(Real, 0, None, closed="neither")],
        "b": [Interval(Real, 0, None, closed="left")],
        "lambda_u": [Interval(Real, 0, None, closed="neither")],
        "lambda_v": [Interval(Real, 0, None, closed="neither")],
        "lambda_n": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=50,
        *,
        hidden_layer_sizes=(200,),
        activation="sigmoid",
        noise_level=0.3,
        a=1.0,
        b=0.01,
        lambda_u=0.1,
        lambda_v=10.0,
        lambda_n=1.0,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=50,
        tol=1e-4,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    def _check_params(self):
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        if not self.b < self.a:
            raise ValueError(f"CDL needs a > b (an interaction is more certain than its "
                             f"absence), got a={self.a} and b={self.b}.")

    # -- fit -------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, item_features=None):
        """Fit the factors and the autoencoder to the interactions and the item content.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)
            Non-negative interactions; any positive entry is an interaction.
        {y_ignored}
        item_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            Numeric content of the items (see the Notes). None: no content.

        {returns_self}
        """
        return self._train(X, item_features=item_features)

    def _training_data(self, X, y=None, *, warm, incremental, item_features=None):
        X = self._validate_interactions(X, reset=not warm)
        content = self._fit_content(X, item_features, warm)
        interactions = sp.csr_matrix((sp.csr_matrix(X) > 0).astype(np.float32).T)
        if warm and interactions.shape != self.module_.item_factors.shape[:1] + (
                self.module_.user_factors.shape[0],):
            raise ValueError("warm_start=True needs the same users and items as the "
                             "previous fit; use warm_start=False for new data.")
        self._n_features_out = self.n_components
        # One row per item: its content, its column of interactions and its index.
        items = np.arange(X.shape[1], dtype=np.int64)
        return TrainingData({"content": content, "interactions": interactions,
                             "items": items}, X=X)

    def _catalogue_ids(self, n_items):
        return self.item_ids_

    def _fit_content(self, X, item_features, warm):
        n_items = X.shape[1]
        if warm:
            if (item_features is None) != (self._content_width is None):
                raise ValueError("warm_start=True needs item_features exactly when the "
                                 "previous fit had them.")
        ids = self._catalogue_ids(n_items)
        if item_features is None:
            self._content_width = None
            return np.ones((n_items, 1), dtype=np.float32)
        table_ids, values = check_feature_table(item_features, "item_features")
        if table_ids is None and len(values) != n_items:
            raise ValueError(
                f"item_features has {len(values)} rows but X has {n_items} columns (items); "
                "row k of an array table describes column k of X. (In cross-validation a "
                "table with as many rows as X has users is split like X: wrap it in "
                "skae.recommenders.FeatureTable.)"
            )
        if table_ids is None:
            # An array table is positional: row k describes column k, whatever the
            # columns' names (a DataFrame X with string columns has ids that are not k).
            rows = np.arange(n_items)
        else:
            rows = TableIndex(table_ids, len(values), "item_features").require(ids, "item")
        if warm and values.shape[1] != self._content_width:
            raise ValueError(f"item_features has {values.shape[1]} columns; the previous fit "
                             f"had {self._content_width}.")
        self._content_width = values.shape[1]
        return values[rows].astype(np.float32)

    def _build_module(self, train, ctx):
        content, interactions = train.arrays[0], train.arrays[1]
        module = CDLModule(content.shape[1], check_hidden_layer_sizes(self.hidden_layer_sizes),
                           self.n_components, interactions.shape[1], interactions.shape[0],
                           activation=self.activation, generator=ctx.generator)
        with torch.no_grad():
            module.in_matrix.copy_(torch.from_numpy(np.diff(interactions.indptr) > 0))
            # Small random item factors: the first user update needs them to differ.
            module.item_factors.normal_(0.0, 0.1, generator=ctx.generator)
        return module

    def _codes(self, module, content):
        """The clean codes theta of the rows of ``content`` (a tensor), float64 numpy."""
        was_training = module.training
        module.eval()
        with torch.no_grad():
            codes = [module.encode(content[start:start + PREDICT_BATCH_SIZE])
                     for start in range(0, len(content), PREDICT_BATCH_SIZE)]
        module.train(was_training)
        return torch.cat(codes).double().cpu().numpy()

    def _on_epoch_begin(self, module, ctx):
        # Before the first epoch of a new model, so that the SDAE never chases random factors.
        if not ctx.state.get("factors_updated"):
            self._update_factors(module, ctx)
            ctx.state["factors_updated"] = True

    def _on_epoch_end(self, module, ctx, logs):
        # After every epoch: the factors a fit ends with match the codes it ends with.
        self._update_factors(module, ctx)
        return False

    def _update_factors(self, module, ctx):
        """The alternating closed-form updates of the user and item factors (eq. 8-9)."""
        interactions = ctx.train.arrays[1]  # items x users, 1 where an interaction
        theta = self._codes(module, ctx.train.arrays[0])
        in_matrix = module.in_matrix.cpu().numpy()
        V = module.item_factors.double().cpu().numpy()
        # u_i = (b V^T V + (a - b) V_i^T V_i + lambda_u I)^-1 a V_i^T 1: only the items with
        # interactions count as observed absences; out-of-matrix items are unknown.
        U = self._fold_in_factors(interactions.T.tocsr(), V, in_matrix)
        # v_j = (b U^T U + (a - b) U_j^T U_j + lambda_v I)^-1 (a U_j^T 1 + lambda_v theta_j)
        V = solve_rows((self.a - self.b) * interactions, self.a * interactions, U,
                       self.lambda_v, theta, base_gram=self.b * (U.T @ U))
        V[~in_matrix] = theta[~in_matrix]  # out-of-matrix: the code itself
        with torch.no_grad():
            module.user_factors.copy_(torch.from_numpy(U))
            module.item_factors.copy_(torch.from_numpy(V))

    def _fold_in_factors(self, rows, V, in_matrix):
        """Exact user factors of interaction ``rows`` (CSR, users x items) given ``V``."""
        V_in = V[in_matrix]
        return solve_rows((self.a - self.b) * rows, self.a * rows, V, self.lambda_u,
                          base_gram=self.b * (V_in.T @ V_in))

    def _loss(self, module, batch, ctx):
        content, items = batch.content, batch.items
        noisy = masking_noise(content, self.noise_level, ctx.generator) if ctx.training \
            else content
        recon, code = module(noisy)
        reconstruction = (recon - content).square().sum(dim=1)
        # Out-of-matrix items have no factor of their own to pull their code toward.
        tie = (code - module.item_factors[items]).square().sum(dim=1) * module.in_matrix[items]
        return (0.5 * self.lambda_n * reconstruction + 0.5 * self.lambda_v * tie).mean()

    # -- predict ---------------------------------------------------------------------------
    def _content_table(self, item_features, no_encoder):
        """``(ids, values)`` of ``item_features``, whose columns must be those the content
        encoder was fitted on; ``no_encoder`` is the error when it was fitted without any."""
        if self._content_width is None:
            raise ValueError(no_encoder)
        ids, values = check_feature_table(item_features, "item_features")
        if values.shape[1] != self._content_width:
            raise ValueError(f"item_features has {values.shape[1]} columns; the table given "
                             f"to fit had {self._content_width}.")
        return ids, values

    def _item_matrix(self, item_features):
        """Factors of the catalogue items, then of the new items that ``item_features`` adds."""
        V = self.module_.item_factors.double().cpu().numpy()
        if item_features is None:
            return V
        ids, values = self._content_table(
            item_features, "item_features was given, but CDL was fitted without item "
            "features: there is no content encoder to score new items with.")
        n_items = len(V)
        if ids is None:
            if len(values) < n_items:
                raise ValueError(
                    f"item_features has {len(values)} rows; row k describes column k of X, so "
                    f"it needs the {n_items} catalogue items first, then the new ones.")
            new = values[n_items:]
        else:
            known = TableIndex(self._catalogue_ids(n_items), n_items, "items").rows(ids) >= 0
            new = values[~known]
        if not len(new):
            return V
        return np.vstack([V, self.encode_items(new).astype(np.float64)])

    def _transform(self, X):
        V = self.module_.item_factors.double().cpu().numpy()
        U = self._fold_in_factors(sp.csr_matrix(X > 0, dtype=np.float64), V,
                                  self.module_.in_matrix.cpu().numpy())
        return U.astype(np.float32)

    def _predict_scores(self, X, V=None):
        V = self.module_.item_factors.double().cpu().numpy() if V is None else V
        U = self._transform(X).astype(np.float64)
        return (U @ V.T).astype(np.float32)

    def predict_scores(self, X, *, item_features=None):
        """Score every item for every row of ``X``; higher means recommend first.

        Rows are folded in from their interactions (users need not have been seen in
        :meth:`fit`). Items the user already has are scored too; see :meth:`recommend`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items)
            Interactions of the users to score for.
        item_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            Content of new items, scored from it alone and appended after the catalogue
            (see the Notes).

        Returns
        -------
        scores : ndarray of shape (n_users, n_items + n_new_items), dtype float32
            The score of each item for each user.
        """
        X = self._validate_predict(X)
        return self._predict_scores(X, self._item_matrix(item_features))

    def recommend(self, X=None, n=10, *, users=None, exclude_seen=True, return_scores=False,
                  item_features=None):
        """The ``n`` best items for each user, best first, new items included.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_users, n_items), or a long table
            Interactions of the users to recommend to (new users are folded in). A long
            table (:class:`~skae.recommenders.Interactions`, or a DataFrame with columns
            ``user`` and ``item``) gives one row per user id of the table, in sorted order,
            and the answer is item ids.
        n : int, default=10
            Number of items per user.
        users : array-like of shape (n_users,), default=None
            Instead of ``X``: ids of users of the long table given to :meth:`fit`. The answer
            is item ids.
        exclude_seen : bool, default=True
            Never recommend an item the user already has in ``X``.
        return_scores : bool, default=False
            Also return the scores of the recommended items.
        item_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            Content of new items, candidates next to the catalogue (see the Notes).

        Returns
        -------
        items : ndarray of shape (n_users, n)
            Column indices (int64) of the recommended items, ``n_features_in_ + k`` for the
            ``k``-th new item; their ids for a long table or ``users`` (a new item's id is
            its id in ``item_features``, or that index for an array table).
        scores : ndarray of shape (n_users, n), dtype float32
            Only when ``return_scores`` is True.
        """
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}.")
        X, by_id = self._recommend_rows(X, users)
        V = self._item_matrix(item_features)
        if n > len(V):
            raise ValueError(f"n={n} is larger than the number of items ({len(V)}).")
        items = np.empty((X.shape[0], n), dtype=np.int64)
        scores = np.empty((X.shape[0], n), dtype=np.float32)
        for start in range(0, X.shape[0], PREDICT_BATCH_SIZE):
            rows = slice(start, start + PREDICT_BATCH_SIZE)
            block = self._predict_scores(X[rows], V)
            if exclude_seen:
                mask_seen(block[:, :X.shape[1]], X[rows])
            items[rows], scores[rows] = top_k(block, n)
        if by_id:
            items = self._candidate_ids(item_features, len(V))[items]
        return (items, scores) if return_scores else items

    def _candidate_ids(self, item_features, n_candidates):
        """The id of each item :meth:`recommend` ranks: the catalogue's, then the new ones'."""
        catalogue = self.item_ids_
        if n_candidates == len(catalogue):
            return catalogue
        ids, _ = check_feature_table(item_features, "item_features")
        if ids is None:
            return np.concatenate([catalogue, np.arange(len(catalogue), n_candidates)])
        known = TableIndex(catalogue, len(catalogue), "items").rows(ids) >= 0
        return np.concatenate([catalogue, np.asarray(ids)[~known]])

    def encode_items(self, item_features):
        """The codes ``theta`` of items from their content alone.

        The code is the factor of an item without interactions (new items, and the cold
        items of :meth:`fit`); items with interactions have learned ``v_j = theta_j + eps_j``.

        Parameters
        ----------
        item_features : DataFrame, array-like, sparse matrix or FeatureTable
            Content of the items, with the columns of the table given to :meth:`fit`; every
            row is encoded, whatever its id.

        Returns
        -------
        codes : ndarray of shape (n_rows, n_components), dtype float32
            The code of each row.
        """
        check_is_fitted(self)
        _, values = self._content_table(
            item_features, "CDL was fitted without item features: it has no content encoder.")
        content = torch.from_numpy(values.astype(np.float32)).to(self.device_)
        return self._codes(self.module_, content).astype(np.float32)

    @property
    def user_factors_(self):
        """Factors ``u_i`` of the training users (n_users, n_components)."""
        return self.module_.user_factors.detach().cpu().numpy().copy()

    @property
    def item_factors_(self):
        """Factors ``v_j`` of the items (n_items, n_components)."""
        return self.module_.item_factors.detach().cpu().numpy().copy()

    @property
    def cold_items_(self):
        """Whether each item had no interaction in :meth:`fit` (n_items,)."""
        return ~self.module_.in_matrix.cpu().numpy()
