"""``MDACFRegressor``: matrix factorisation tied to marginalized denoising autoencoders of
the users' and items' side information (Li, Kawale & Fu, CIKM 2015)."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from skae._docs import fill_doc
from skae._estimator import (
    attributes_restored_on_error,
    external_stacklevel,
    store_init_params,
)
from skae.nn._hybrid import marginalized_denoising_features, marginalized_denoising_mapping
from skae.recommenders._als import solve_rows
from skae.recommenders._ids import IdEncoder, check_pairs, pairs_to_csr
from skae.recommenders._mdacf_parts import (
    _Projection,
    _residuals,
    _Side,
    _with_ones,
    cold_model_weight,
    feature_bias,
    pairs_per_block,
)
from skae.recommenders._side import TableIndex, check_feature_table
from skae.utils._sklearn_compat import Interval, StrOptions, fit_context

__all__ = ["MDACFRegressor"]


@fill_doc
class MDACFRegressor(RegressorMixin, BaseEstimator):
    """Rating prediction by matrix factorisation tied to autoencoders of side information.

    mDA-CF (Li, Kawale & Fu, 2015) for ``(user id, item id) -> rating`` pairs.

    The rating of user ``u`` for item ``i`` is ``mu + b_u + c_i + u_u . v_i``: a biased matrix
    factorisation, ``R ~ U V^T``. What a user is known by (by default which items it rated,
    and its demographics when given) and what an item is known by (which users rated it;
    genres, year, words) enter through marginalized denoising autoencoders (mDA, Chen et al.
    2012), as in mDA-CF (Li, Kawale & Fu, 2015): the input of a user's autoencoder is its
    row of the rating matrix followed by its features (the paper's ``[R, X]``), and the
    factors ``[u_u, b_u]`` are tied to a linear projection ``P`` of the autoencoder's
    representation ``h_u``; items likewise. Everything is solved in closed form:

    - each mDA layer is fitted once, exactly: the expected reconstruction error over all
      corruptions of the input (each feature dropped with probability ``noise_level``) is
      minimised without sampling any (Chen et al. 2012, eq. 4-6), and the representation is
      that of the stacked mDA, ``[s, tanh([s, 1] W_1), ...]``;
    - then, alternately, the projections ``P`` by ridge regression of the factors on the
      representations, and the factors of all users (then all items) by ridge regression of
      their ratings, penalised by ``coupling_weight ||[u_u, b_u] - h_u P||^2`` toward the
      projection
      (the alternating updates of the paper, sec. 4.2, with closed-form factor steps), until
      the objective settles: the maximum a posteriori (MAP) factors;
    - then, with ``n_draws > 0``, Gibbs sampling from there: the same sweeps draw each
      row's factors from their Gaussian posterior instead of taking its mean, and the
      predictions average the draws (Bayesian PMF, Salakhutdinov & Mnih, ICML 2008).

    **Cold start.** A user or item unseen in :meth:`fit` but described by features, in the
    table given to :meth:`fit` or to :meth:`predict`, gets factors from its features alone:
    ``h P`` with an empty row of ratings. A new user's bias comes from its features directly,
    a ridge regression over the users of :meth:`fit` of how far each user's ratings lie from
    the items' mean ratings, and its prediction shifts the item means by that bias, adding
    the share of the factors' prediction that the users of :meth:`fit` bore out (see the
    Notes). See the Notes for the fallback of ids with neither
    ratings nor features.

    Parameters
    ----------
    n_components : int, default=20
        Number of latent factors ``k``, chosen with the other defaults on ratings held out
        from MovieLens 100K's training part (``benchmarks/bench_hybrid.py``).

    noise_level : float, default=0.3
        Corruption level of the marginalized autoencoders' input, masking noise: the
        probability with which each input feature is dropped (marginalized over, never
        sampled).

    n_layers : int, default=1
        Number of stacked mDA layers.

    input_ratings : {"implicit", "values", "none"}, default="implicit"
        What of each user's row of the rating matrix (each item's column) the autoencoder
        reads in front of the features, the paper's ``[R, X]``. "implicit": which items the
        user rated, each row scaled by ``1/sqrt(number rated)`` (the implicit feedback of
        SVD++, Koren 2008); "values": the ratings minus their mean, 0 where missing (the
        paper's ``R``); "none": the features only (without features, plain matrix
        factorisation). On validation ratings cut from MovieLens 100K's ``u1.base`` (half of
        the users lose 40% of their ratings; the first of three random hold-outs;
        ``coupling_weight=10``, 100 posterior draws), "implicit" gave RMSE 0.9024 where "none" gave
        0.9169 and "values" 0.9465.

    coupling_weight : float, default=10.0
        Weight of the coupling term ``||[u_u, b_u] - h_u P||^2`` that ties the factors and
        biases to the projection of their autoencoder's representation (the paper's
        ``lambda``): a ridge penalty around that projection, around 0 on a side without
        autoencoder. The objective sums squared errors over ratings, so ``coupling_weight``
        weighs as much as that many ratings per user or item. It is not an L2 weight
        decay of a network (skae's ``alpha``).

    bias_coupling_weight : float or None, default=None
        Weight of the coupling term of the biases ``b_u`` and ``c_i``; None means
        ``coupling_weight``.

    weighted_coupling : bool, default=False
        Multiply ``coupling_weight`` (and ``bias_coupling_weight``) by each user's (item's)
        number of ratings, the weighted-lambda regularisation of ALS-WR (Zhou et al., 2008).

    projection_weight : float, default=10.0
        Weight of the ridge penalty ``||P||^2`` of the projections ``P``, on the same summed
        scale as ``coupling_weight``.

    clip : bool, default=True
        Clip predictions to the range of the ratings seen in :meth:`fit`.

    max_iter : int, default=20
        Maximum number of alternating sweeps (projections, users, items) toward the MAP
        factors.

    tol : float, default=1e-4
        Stop when a sweep lowers the objective by less than ``tol`` times its value.

    n_draws : int, default=100
        Number of posterior draws: Gibbs sweeps after the MAP sweeps, whose predictions are
        averaged (each costs about one MAP sweep). 0: the MAP factors. On the validation
        ratings of ``input_ratings`` (first hold-out, ``coupling_weight=10``): MAP 0.9255
        (0.9108 at ``coupling_weight=20``), 30 draws 0.9071, 60 draws 0.9045, 100 draws
        0.9024; the mean over the three hold-outs is 0.8891, where the former defaults
        (features only, MAP, ``coupling_weight=20``) gave 0.9192 and ``AutoRecRegressor``
        with ``bench_autorec.py``'s settings 0.8994.
        The fitted factors, and the projections kept for cold start, hold every draw: they
        take ``n_draws`` times the memory of the MAP ones.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial factors and the Gibbs draws.

    verbose : int, default=0
        Show a progress bar (tqdm) over the sweeps, MAP then Gibbs, with the objective of
        the last MAP sweep. 0: silent.

    Attributes
    ----------
    user_encoder_ : skae.recommenders._ids.IdEncoder
        Vocabulary of the user ids rated in :meth:`fit` (``user_encoder_.classes_``).

    item_encoder_ : skae.recommenders._ids.IdEncoder
        Vocabulary of the item ids rated in :meth:`fit`.

    user_factors_ : ndarray of shape (n_users, n_components * max(n_draws, 1))
        ``u_u`` of the users rated in :meth:`fit`, in the order of ``user_encoder_.classes_``.
        With ``n_draws > 0``, the draws' factors side by side, each scaled by
        ``1/sqrt(n_draws)``: their dot products with ``item_factors_`` are the mean of the
        draws' products.

    item_factors_ : ndarray of shape (n_items, n_components * max(n_draws, 1))
        ``v_i`` of the items rated in :meth:`fit`, laid out as ``user_factors_``.

    user_bias_ : ndarray of shape (n_users,)
        ``b_u`` (with ``n_draws > 0``, its mean over the draws).

    item_bias_ : ndarray of shape (n_items,)
        ``c_i`` (likewise).

    global_mean_ : float
        Mean training rating ``mu``.

    user_mean_ : ndarray of shape (n_users,)
        Mean training rating of each user (a fallback, see the Notes).

    item_mean_ : ndarray of shape (n_items,)
        Mean training rating of each item (a fallback, see the Notes).

    rating_range_ : tuple of float
        ``(min, max)`` of the training ratings, the range of clipped predictions.

    loss_curve_ : list of float
        The objective after each MAP sweep, divided by the number of ratings.

    n_iter_ : int
        Number of MAP sweeps run (the Gibbs sweeps come on top).

    n_features_in_ : int
        Number of columns of ``X`` (2).

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the columns of ``X``, when it has string column names.

    See Also
    --------
    AutoRecRegressor : Rating prediction with an autoencoder of the ratings alone.
    CDL : Top-N recommendation with an autoencoder of the item content.

    Notes
    -----
    **Unseen ids.** A pair whose user and item both have factors (learned in :meth:`fit`, or
    from features) is predicted by the model. Otherwise, as in ``AutoRecRegressor``: a user
    rated in :meth:`fit` with an item that has neither ratings nor features gets the user's
    mean rating, and the reverse the item's mean rating; an id known from features only, with
    an id known from nothing, gets ``mu`` plus the bias predicted from its features; two ids
    known from nothing get the global mean. Predictions are never NaN.

    **Cold-start users.** A user known only by its features is predicted, for an item rated
    in :meth:`fit`, as ``a + g (m - a)``: ``a = mean_i + b_u`` the item's mean rating shifted
    by the user's bias, ``m`` the model's prediction from the user's cold-start factors, and
    ``g`` in ``[0, 1]`` the least-squares weight of ``m - a`` in the ratings of :meth:`fit`,
    every user predicted there as if cold (stacking, Wolpert 1992; ``g`` is about 0.6 on
    MovieLens, 1 where the features tell the users' tastes). The bias ``b_u = x_u w + w_0`` is
    the ridge regression, over the users of :meth:`fit`, of each user's mean of ``r_ui -
    mean_i`` on its features, its penalty chosen by leave-one-out among ``10^-1 ... 10^4``
    (:class:`~sklearn.linear_model.RidgeCV`). Before, such a user got ``m`` with the bias
    projected from a representation learned mostly from ratings it does not have, and did
    no better than the item means (validation on three splits of the training users chose
    the change: ``benchmarks/bench_defaults.py --part mdacf-select``; the figures are on the
    benchmarks page). Items unseen in :meth:`fit` keep the projected bias.

    **Feature tables** are DataFrames indexed by id with numeric columns, or arrays (sparse
    matrices) whose row ``k`` describes the integer id ``k``. Every id rated in :meth:`fit`
    must be described by the table given to :meth:`fit`; the table may describe more ids,
    which are then predicted from their features without a table at :meth:`predict`. For
    cross-validation, request them through metadata routing
    (``model.set_fit_request(user_features=True)``) and, if a table could have as many rows
    as ``X``, wrap it in :class:`skae.recommenders.FeatureTable`.

    **Differences from the paper.** The paper learns the mDA mappings jointly with the
    factors and updates the factors by gradient steps; here each mDA is fitted once on its
    input (closed form) and the factors are updated by exact alternating ridge regressions,
    with a bias term per user and item; the prior mean of a user's factors is the projection
    fitted without that user (leave-one-out, in closed form), so that a wide representation
    cannot memorise the factors it is meant to regularise. By default the rating part of
    the input is which items were rated rather than the rating values, and the prediction
    is the posterior mean by Gibbs sampling rather than the MAP point (both chosen on
    validation data, see ``input_ratings`` and ``n_draws``).

    **Common checks.** ``X`` is exactly (user id, item id), so the estimator checks that fit
    other widths are expected failures, as for ``AutoRecRegressor``.

    References
    ----------
    .. [1] S. Li, J. Kawale and Y. Fu, "Deep collaborative filtering via marginalized
       denoising auto-encoder", CIKM 2015, pp. 811-820.
    .. [2] M. Chen, Z. Xu, K. Weinberger and F. Sha, "Marginalized denoising autoencoders
       for domain adaptation", ICML 2012.
    .. [3] D. H. Wolpert, "Stacked generalization", Neural Networks 5(2), 1992,
       pp. 241-259.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skae import MDACFRegressor
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 2], [2, 1], [2, 2]])
    >>> y = np.array([5.0, 1.0, 4.0, 2.0, 1.0, 5.0])
    >>> users = pd.DataFrame({"age": [20.0, 30.0, 40.0, 35.0]})  # index: user ids 0..3
    >>> model = MDACFRegressor(n_components=2, random_state=0)
    >>> model = model.fit(X, y, user_features=users)
    >>> model.user_bias_.shape
    (3,)
    >>> pred = model.predict([[3, 0], [9, 0]])  # user 3: from its age; user 9: the item mean
    >>> bool(np.all((pred >= 1) & (pred <= 5))), bool(pred[1] == model.item_mean_[0])
    (True, True)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "noise_level": [Interval(Real, 0, 1, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "input_ratings": [StrOptions({"implicit", "values", "none"})],
        "coupling_weight": [Interval(Real, 0, None, closed="neither")],
        "bias_coupling_weight": [Interval(Real, 0, None, closed="neither"), None],
        "weighted_coupling": ["boolean"],
        "projection_weight": [Interval(Real, 0, None, closed="neither")],
        "clip": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_draws": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, n_components=20, *, noise_level=0.3, n_layers=1,
                 input_ratings="implicit", coupling_weight=10.0, bias_coupling_weight=None,
                 weighted_coupling=False, projection_weight=10.0, clip=True, max_iter=20,
                 tol=1e-4, n_draws=100, random_state=None, verbose=0):
        store_init_params(self, locals())

    # -- fit -------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, user_features=None, item_features=None):
        """Fit the factors, the autoencoders and their projections to the ratings ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_ratings, 2)
            User id, item id (integers or strings) of each rating.
        y : array-like of shape (n_ratings,)
            The ratings.
        user_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            Numeric features of the users: a DataFrame indexed by user id, or a table whose
            row ``k`` describes the user id ``k``. It must describe every user in ``X``;
            users it describes beyond those are predicted from their features.
        item_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            The same for items.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # All or nothing: a fit that raises leaves the estimator as it was.
        with attributes_restored_on_error(self):
            users, items, y = check_pairs(self, X, y, reset=True)
            self.user_encoder_, self.item_encoder_ = IdEncoder("user"), IdEncoder("item")
            u = self.user_encoder_.fit_transform(users)
            i = self.item_encoder_.fit_transform(items)
            n_users, n_items = len(self.user_encoder_), len(self.item_encoder_)
            self._set_baselines(u, i, y, n_users, n_items)
            ratings = pairs_to_csr(u, i, (n_users, n_items), y)
            centred = ratings.copy()
            centred.data -= self.global_mean_
            user_x = self._fit_table(user_features, "user_features", self.user_encoder_, "user")
            item_x = self._fit_table(item_features, "item_features", self.item_encoder_, "item")
            user_h, user_maps = self._representation(centred, user_x)
            item_h, item_maps = self._representation(centred.T.tocsr(), item_x)
            (factors_u, factors_v), (proj_u, proj_v) = self._alternate(ratings, user_h, item_h)
            self.user_factors_, self.user_bias_ = factors_u[:, :-1], factors_u[:, -1]
            self.item_factors_, self.item_bias_ = factors_v[:, :-1], factors_v[:, -1]
            n_in_u, n_in_i = (n_items, n_users) if self.input_ratings != "none" else (0, 0)
            self._user_side = self._side("user", user_features, user_maps, proj_u, n_in_u)
            self._item_side = self._side("item", item_features, item_maps, proj_v, n_in_i)
            if user_x is not None and self._user_side.mappings is not None:
                # Cold-start users: their bias shifts the item means (see the Notes).
                side = self._user_side
                side.bias_from_features = feature_bias(user_x, u, y - self.item_mean_[i])
                side.model_weight = cold_model_weight(
                    side.cold_factors(user_x), self.item_factors_, self.item_bias_,
                    self.global_mean_, self.item_mean_, u, i, y)
        return self

    def _set_baselines(self, u, i, y, n_users, n_items):
        self.global_mean_ = float(np.mean(y))
        self.user_mean_ = np.bincount(u, y, n_users) / np.bincount(u, minlength=n_users)
        self.item_mean_ = np.bincount(i, y, n_items) / np.bincount(i, minlength=n_items)
        self.rating_range_ = (float(np.min(y)), float(np.max(y)))

    def _fit_table(self, table, name, encoder, whose):
        """Features of the ids of ``encoder``, in its order; None without a table."""
        if table is None:
            return None
        ids, values = check_feature_table(table, name)
        return values[TableIndex(ids, len(values), name).require(encoder.classes_, whose)]

    def _side(self, name, table, mappings, projection, n_rating_inputs):
        index = values = None
        if table is not None:
            ids, values = check_feature_table(table, f"{name}_features")
            index = TableIndex(ids, len(values), f"{name}_features")
        if mappings is None or table is None:
            # Without a table no id unseen in fit can be described: nothing to keep.
            return _Side(name, values, index, None, None, 0)
        if n_rating_inputs:
            # Ids unseen in fit have no ratings: only the first layer's rows that read the
            # features (and the bias) are ever used on them, and only the projection's rows
            # of the representation that are not their (empty) ratings.
            mappings = [mappings[0][n_rating_inputs:], *mappings[1:]]
            projection = projection[n_rating_inputs:]
        return _Side(name, values, index, mappings, projection, n_rating_inputs)

    def _representation(self, centred, features):
        """The stacked mDA representation of one side's rows, and its mappings (or Nones)."""
        parts = []
        if self.input_ratings == "implicit":
            # Which items the user rated, scaled by |N(u)|^-1/2: the implicit feedback of
            # SVD++ (Koren, KDD 2008, eq. 15). Built from the pattern, not from the values.
            rated = np.zeros(centred.shape)
            counts = np.diff(centred.indptr)
            rows = np.repeat(np.arange(centred.shape[0]), counts)
            rated[rows, centred.indices] = 1.0 / np.sqrt(counts[rows])
            parts.append(rated)
        elif self.input_ratings == "values":
            parts.append(centred.toarray().astype(np.float64))
        if features is not None:
            parts.append(features)
        if not parts:
            return None, None
        h = torch.from_numpy(np.hstack(parts))
        mappings = []
        for _ in range(self.n_layers):
            # Each layer is an mDA of the previous layer's output (Chen et al. 2012, sec. 3).
            inp = h if not mappings else marginalized_denoising_features(h, mappings)[
                :, -h.shape[1]:]
            mappings.append(marginalized_denoising_mapping(inp, self.noise_level))
        rep = marginalized_denoising_features(h, mappings).numpy()
        return rep, [m.numpy() for m in mappings]

    def _alternate(self, ratings, user_h, item_h):
        """Alternating closed-form sweeps; returns the factors [f, bias] and projections."""
        rng = check_random_state(self.random_state)
        k = self.n_components
        n_users, n_items = ratings.shape
        pattern = ratings.copy()
        pattern.data[:] = 1.0
        pattern_t, ratings_t = pattern.T.tocsr(), ratings.T.tocsr()
        fu = np.hstack([0.1 * rng.standard_normal((n_users, k)), np.zeros((n_users, 1))])
        fv = np.hstack([0.1 * rng.standard_normal((n_items, k)), np.zeros((n_items, 1))])
        proj = [None if h is None else _Projection(h, self.projection_weight)
                for h in (user_h, item_h)]
        data = (ratings, pattern, ratings_t, pattern_t)
        self.loss_curve_, converged = [], False
        # One bar over every sweep, MAP then Gibbs; shortened when the MAP sweeps converge.
        with tqdm(total=self.max_iter + self.n_draws, disable=not self.verbose,
                  desc=type(self).__name__, unit="sweep", leave=False) as progress:
            for sweep in range(self.max_iter):
                fu, fv, prior_u, prior_v = self._sweep(data, proj, fu, fv)
                self.loss_curve_.append(self._objective(ratings, fu, fv, prior_u, prior_v))
                progress.update()
                progress.set_postfix(objective=f"{self.loss_curve_[-1]:.5g}")
                if sweep and self.loss_curve_[-2] - self.loss_curve_[-1] < (
                        self.tol * self.loss_curve_[-2]):
                    converged = True
                    break
            self.n_iter_ = len(self.loss_curve_)
            progress.total = self.n_iter_ + self.n_draws
            progress.refresh()
            if not converged and self.max_iter > 1:
                warnings.warn(f"MDACFRegressor: maximum iterations ({self.max_iter}) reached "
                              "and the optimization hasn't converged yet.", ConvergenceWarning,
                              stacklevel=external_stacklevel())
            if not self.n_draws:
                # Final projections match the final factors (cold-start ids use them).
                coef = [None if p is None else p.fit(f)[0] for p, f in zip(proj, (fu, fv))]
                return (fu, fv), coef
            return self._sample(data, proj, fu, fv, rng, progress)

    def _sweep(self, data, proj, fu, fv, noise=None, gen=None):
        """One alternating sweep: the users' factors given the items', then the items'."""
        ratings, pattern, ratings_t, pattern_t = data
        mu = self.global_mean_
        prior_u = None if proj[0] is None else proj[0].fit(fu)[1]
        # User step: [u, b_u] regresses r - mu - c_i on [v_i, 1] (with v's bias column
        # replaced by 1), around its prior mean.
        targets = _residuals(ratings, mu, fv[:, -1])
        fu = solve_rows(pattern, targets, _with_ones(fv), self._reg(pattern), prior_u,
                        noise=noise, rng=gen)
        prior_v = None if proj[1] is None else proj[1].fit(fv)[1]
        targets = _residuals(ratings_t, mu, fu[:, -1])
        fv = solve_rows(pattern_t, targets, _with_ones(fu), self._reg(pattern_t), prior_v,
                        noise=noise, rng=gen)
        return fu, fv, prior_u, prior_v

    def _sample(self, data, proj, fu, fv, rng, progress):
        """Gibbs sweeps from the MAP factors; the factors of the posterior mean prediction.

        Each sweep draws the users' factors given the items', the items' given the users'
        (:func:`solve_rows` with ``noise``), then the noise variance given both, from its
        inverse-gamma conditional under a weak InvGamma(1, 1) prior. The prediction averaged
        over the draws, ``mean_s (b_u^s + c_i^s + u^s . v^s)``, is itself a dot product: of
        the draws' factors side by side, each scaled by ``1 / sqrt(S)``, plus the mean biases.
        """
        ratings = data[0]
        gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
        rows = np.repeat(np.arange(ratings.shape[0]), np.diff(ratings.indptr))

        def sse(fu, fv):
            pred = (self.global_mean_ + fu[rows, -1] + fv[ratings.indices, -1]
                    + np.einsum("ij,ij->i", fu[rows, :-1], fv[ratings.indices, :-1]))
            return float(np.sum((ratings.data - pred) ** 2))

        noise = sse(fu, fv) / ratings.nnz  # the MAP fit's, to start
        draws = []
        for _ in range(self.n_draws):
            fu, fv, _, _ = self._sweep(data, proj, fu, fv, noise, gen)
            progress.update()
            noise = 1.0 / gen.gamma(1.0 + 0.5 * ratings.nnz, 1.0 / (1.0 + 0.5 * sse(fu, fv)))
            coef = [None if p is None else p.fit(f)[0] for p, f in zip(proj, (fu, fv))]
            draws.append((fu, fv, *coef))
        scale = 1.0 / np.sqrt(len(draws))
        out = []
        for parts in zip(*draws):
            out.append(None if parts[0] is None else np.hstack(
                [np.hstack([p[:, :-1] for p in parts]) * scale,
                 np.mean([p[:, -1:] for p in parts], axis=0)]))
        return (out[0], out[1]), (out[2], out[3])

    def _reg(self, pattern):
        """Ridge penalty of each row (n_rows, 1) or coefficient (k + 1,): ``coupling_weight``
        on the factors and ``bias_coupling_weight`` on the bias, times the row's number of
        ratings (ALS-WR, Zhou et al. 2008) when ``weighted_coupling``."""
        reg = np.r_[np.full(self.n_components, self.coupling_weight), self._bias_coupling()]
        if not self.weighted_coupling:
            return reg
        return reg * np.maximum(np.diff(pattern.indptr), 1)[:, None]

    def _bias_coupling(self):
        return (self.coupling_weight if self.bias_coupling_weight is None
                else self.bias_coupling_weight)

    def _objective(self, ratings, fu, fv, prior_u, prior_v):
        rows = np.repeat(np.arange(ratings.shape[0]), np.diff(ratings.indptr))
        cols = ratings.indices
        pred = (self.global_mean_ + fu[rows, -1] + fv[cols, -1]
                + np.einsum("ij,ij->i", fu[rows, :-1], fv[cols, :-1]))
        counts = (np.bincount(rows, minlength=len(fu)), np.bincount(cols, minlength=len(fv)))
        penalty = 0.0
        for f, p, n in zip((fu, fv), (prior_u, prior_v), counts):
            reg = np.r_[np.full(self.n_components, self.coupling_weight), self._bias_coupling()]
            if self.weighted_coupling:
                reg = reg * np.maximum(n, 1)[:, None]
            penalty += np.sum(reg * (f - (0 if p is None else p)) ** 2)
        return float((np.sum((ratings.data - pred) ** 2) + penalty) / ratings.nnz)

    # -- predict ---------------------------------------------------------------------------
    def predict(self, X, *, user_features=None, item_features=None):
        """Predict the rating of each ``(user, item)`` pair.

        Ids unseen in :meth:`fit` are predicted from their features when a table describes
        them; otherwise they get the fallbacks of the Notes.

        Parameters
        ----------
        {pairs_X}
        user_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            Features of users unseen in :meth:`fit` (looked up before the table of
            :meth:`fit`); the same columns as in :meth:`fit`.
        item_features : DataFrame, array-like, sparse matrix or FeatureTable, default=None
            The same for items.

        {returns_ratings}
        """
        check_is_fitted(self)
        users, items = check_pairs(self, X, reset=False)
        # Each pair's factors are looked up side by side (as wide as the posterior draws'):
        # a block of pairs at a time bounds the memory whatever the number of pairs.
        step = pairs_per_block(self.user_factors_.shape[1] + 1)
        return np.concatenate([
            self._predict_pairs(users[s:s + step], items[s:s + step], user_features,
                                item_features) for s in range(0, len(users), step)])

    def _predict_pairs(self, users, items, user_features, item_features):
        fu, known_u = self._user_side.factors_of(users, self.user_encoder_, self.user_factors_,
                                                 self.user_bias_, user_features, self)
        fv, known_i = self._item_side.factors_of(items, self.item_encoder_, self.item_factors_,
                                                 self.item_bias_, item_features, self)
        u, i = self.user_encoder_.transform(users), self.item_encoder_.transform(items)
        pred = np.full(len(u), self.global_mean_)
        both = known_u & known_i
        pred[both] += (fu[both, -1] + fv[both, -1]
                       + np.einsum("ij,ij->i", fu[both, :-1], fv[both, :-1]))
        only_u, only_i = known_u & ~known_i, known_i & ~known_u
        pred[only_u] += fu[only_u, -1]
        pred[only_i] += fv[only_i, -1]
        seen_u, seen_i = u >= 0, i >= 0
        if self._user_side.bias_from_features is not None:
            # A user known only by its features, with an item rated in fit: the item's mean
            # shifted by the user's bias, plus the share of the factors' say that the users
            # of fit bore out (see Notes).
            cold = known_u & ~seen_u & seen_i
            shifted = self.item_mean_[i[cold]] + fu[cold, -1]
            pred[cold] = shifted + self._user_side.model_weight * (pred[cold] - shifted)
        pred[seen_u & ~known_i] = self.user_mean_[u[seen_u & ~known_i]]
        pred[seen_i & ~known_u] = self.item_mean_[i[seen_i & ~known_u]]
        if self.clip:
            np.clip(pred, *self.rating_range_, out=pred)
        return pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The two columns are ids: categorical values, possibly strings.
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
