"""``AutoRecRegressor``: rating prediction with an autoencoder (Sedhain et al., WWW 2015)."""

import sys
from dataclasses import replace
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from skae._contract import TrainingData
from skae._docs import fill_doc
from skae._engine import BatchSource, make_lbfgs
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    TorchEstimatorMixin,
    store_init_params,
)
from skae.nn import ACTIVATIONS, AutoRecModule, masked_squared_error
from skae.recommenders._ids import IdEncoder, check_pairs, pairs_to_csr
from skae.utils._sklearn_compat import Interval, StrOptions, fit_context

__all__ = ["AutoRecRegressor"]

_PREDICT_BATCH = 256

@fill_doc
class AutoRecRegressor(RegressorMixin, TorchEstimatorMixin, BaseEstimator):
    """AutoRec: predict ratings of ``(user, item)`` pairs with an autoencoder.

    The known ratings form a sparse matrix. I-AutoRec (``kind="item"``) takes each item's
    vector of ratings by all users as one sample, U-AutoRec (``kind="user"``) each user's
    vector of ratings of all items, and learns ``h(r) = f(W g(V r + mu) + b)`` minimising
    the squared error on *observed* ratings only (Sedhain et al., 2015, eq. 2): missing
    entries are zeros in the input and are ignored by the loss, so only the weights connected
    to observed ratings are updated. The rating of user ``u`` for item ``i`` is then read off
    the reconstruction of item ``i``'s vector (I-AutoRec) or user ``u``'s vector (U-AutoRec).

    This is a regressor on ``(user_id, item_id) -> rating`` pairs, so it cross-validates and
    grid-searches like any scikit-learn regressor. The rating matrix is kept sparse (CSR)
    and densified one minibatch of rows at a time.

    Parameters
    ----------
    kind : {"item", "user"}, default="item"
        ``"item"`` for I-AutoRec (the better model in the paper), ``"user"`` for U-AutoRec.

    n_components : int, default=500
        Size of the hidden layer ``k``, the code of each row of the rating matrix. The
        default is the paper's ``k = 500``.

    activation : {"sigmoid", "relu", "tanh", "identity"}, default="sigmoid"
        Hidden activation ``g`` (the paper's best: sigmoid).

    out_activation : {"identity", "sigmoid", "relu", "tanh"}, default="identity"
        Output activation ``f`` (the paper's best: identity).

    shrink_toward : {"mean", "zero"}, default="mean"
        What the L2 penalty ``alpha`` pulls each output unit's decoder weights toward.
        ``"zero"``: the paper's penalty ``||W||^2``. ``"mean"``: the decoder is written
        ``W = 1 w0^T + D``, a weight vector ``w0`` shared by all output units plus each unit's
        deviation ``D``, and only ``D`` is penalised, so each unit is shrunk toward the
        units' common weights (a hierarchical Gaussian prior whose mean is learned). The
        network computes the same family of functions either way; see the Notes for why
        it matters to users (I-AutoRec) or items (U-AutoRec) with few ratings.

    clip : bool, default=True
        Clip predictions to the range of the ratings seen in :meth:`fit`.

    solver : {"adam", "lbfgs"}, default="adam"
        ``"adam"``: minibatch Adam, one epoch a pass over shuffled rows. ``"lbfgs"``: the
        paper's full-batch L-BFGS (strong-Wolfe line search, 20 iterations per epoch, history
        of 10); with ``batch_size="auto"`` the whole matrix is one batch (a larger
        ``batch_size`` only bounds memory: gradients are accumulated over minibatches), and
        ``learning_rate`` and ``learning_rate_init`` are not used.

    alpha : float, default=3e-3
        L2 penalty on the weight matrices ``W`` and ``V`` (not the biases), added to the mean
        squared error of the observed ratings as ``alpha / 2 (||W||^2 + ||V||^2)`` (Adam's
        coupled weight decay; an explicit term for L-BFGS). With ``shrink_toward="mean"`` the
        decoder term is ``||D||^2``, the deviations from the shared vector ``w0``, which is
        not penalised. See the Notes for the paper's ``lambda`` and for how it scales with
        the data. The default suits a 500-unit I-AutoRec on about 80,000 ratings (MovieLens
        100K); tune it for other data, by validation (how it was chosen:
        :doc:`/benchmarks`).

    {engine_params_after_alpha}

    {engine_attributes_section}

    user_encoder_ : skae.recommenders._ids.IdEncoder
        Vocabulary of the user ids seen in :meth:`fit` (``user_encoder_.classes_``).

    item_encoder_ : skae.recommenders._ids.IdEncoder
        Vocabulary of the item ids seen in :meth:`fit`.

    rating_matrix_ : scipy.sparse.csr_matrix of dtype float32
        The training ratings, of shape (n_items, n_users) for ``kind="item"`` and
        (n_users, n_items) for ``kind="user"``; rows are the autoencoder's samples. A pair
        rated several times holds the mean of its ratings.

    global_mean_ : float
        Mean training rating: the prediction for a pair whose user and item are both unseen.

    user_mean_ : ndarray of shape (n_users,)
        Mean training rating of each user: the prediction for a seen user and an unseen item.

    item_mean_ : ndarray of shape (n_items,)
        Mean training rating of each item: the prediction for a seen item and an unseen user.

    rating_range_ : tuple of float
        ``(min, max)`` of the training ratings, the range of clipped predictions.

    See Also
    --------
    skae.Autoencoder : The plain autoencoder as a transformer.
    sklearn.decomposition.TruncatedSVD : Linear factorisation of a sparse matrix.

    Notes
    -----
    **Unseen ids.** Only pairs whose user and item were both seen in :meth:`fit` go through
    the network. Otherwise the prediction is a baseline: the user's mean rating for a seen
    user and unseen item, the item's mean rating for an unseen user and seen item, and the
    global mean when both are unseen. Predictions are never NaN.

    **Regularisation.** The paper minimises ``sum_O (r - h(r))^2 + lambda / 2 (||W||^2 +
    ||V||^2)``. Here the loss of a minibatch is the *mean* squared error over its observed
    ratings and ``alpha`` is Adam's coupled weight decay on ``W`` and ``V`` (not the biases),
    i.e. the gradient of ``alpha / 2 (||W||^2 + ||V||^2)``. The two objectives have the same
    minimiser when ``alpha = lambda / |O|``, ``|O|`` the number of training ratings. Read as
    a maximum a posteriori estimate (Gaussian noise, Gaussian prior on the weights), it is
    ``lambda``, not ``alpha``, that stays the same as data grow: with more ratings a fixed
    ``alpha`` regularises *more* than the paper's objective would, so the ``alpha`` chosen on
    a small set should be scaled by ``|O_small| / |O_large|`` as a starting point for a larger
    one, and then checked by validation (the weights per user also grow with the data, so
    the scaling is a guide, not a law).

    **Shrinking toward the mean** (``shrink_toward="mean"``). In I-AutoRec the rating of user
    ``u`` for item ``i`` is ``b_u + W_u . h_i``: the user's output bias plus the user's decoder
    weights times the item's code. Under the plain penalty a user with few training ratings
    has ``W_u`` pulled toward zero, so the prediction falls back to the user's mean and loses
    what the code says about the item (how good it is, who likes it). With ``W_u = w0 + D_u``
    and the penalty on ``D_u`` only, such a user falls back to the population's weights
    ``w0`` instead: ``w0 . h_i`` acts as an item effect learned from the item's ratings, as
    the item bias of a biased matrix factorisation does. It matters most when many users
    (I-AutoRec) or items (U-AutoRec) have few ratings (measured effects: :doc:`/benchmarks`).

    **Early stopping** (``early_stopping=True``) holds out ``validation_fraction`` of the
    *ratings* (not whole rows): they are removed from the input and the training targets,
    and the validation loss is the squared error on them given the remaining ratings.

    **Common checks.** X is exactly two columns, a user id and an item id, so scikit-learn's
    estimator checks that only fit X of another width cannot honestly pass; they are listed,
    with the reason, in ``skae.utils.EXPECTED_FAILED_CHECKS["AutoRecRegressor"]``. The
    properties they would have tested (pickling, NaN/inf rejection, unchanged ``__dict__``
    after predict, sample-order and subset invariance, one-sample fits, ``n_iter_``, pandas
    input, 1-D input rejection) are tested on two-column data in skae's own tests. The tag
    ``input_tags.categorical`` is set (the ids are categories) and ``input_tags.string``
    (ids may be strings).

    References
    ----------
    .. [1] S. Sedhain, A. K. Menon, S. Sanner and L. Xie, "AutoRec: Autoencoders meet
       collaborative filtering", WWW 2015 Companion, pp. 111-112.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoRecRegressor
    >>> X = np.array([["ann", "film1"], ["ann", "film2"], ["bob", "film1"], ["eve", "film2"]])
    >>> y = np.array([5.0, 3.0, 4.0, 2.0])
    >>> model = AutoRecRegressor(n_components=4, max_iter=5, random_state=0).fit(X, y)
    >>> model.rating_matrix_.shape  # 2 items x 3 users
    (2, 3)
    >>> pred = model.predict([["bob", "film2"], ["zoe", "film1"], ["zoe", "new"]])
    >>> bool(np.all((pred >= 2) & (pred <= 5)))
    True
    >>> float(pred[2]) == model.global_mean_  # both ids unseen: the global mean
    True
    """

    _structural_params = ("kind", "n_components", "activation", "out_activation",
                          "shrink_toward", "solver", "device")

    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        "kind": [StrOptions({"item", "user"})],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "out_activation": [StrOptions(set(ACTIVATIONS))],
        "shrink_toward": [StrOptions({"mean", "zero"})],
        "clip": ["boolean"],
        "solver": [StrOptions({"adam", "lbfgs"})],
    }

    def __init__(
        self,
        kind="item",
        *,
        n_components=500,
        activation="sigmoid",
        out_activation="identity",
        shrink_toward="mean",
        clip=True,
        solver="adam",
        alpha=3e-3,
        learning_rate="constant",
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    # -- fit -------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit AutoRec to the ratings ``y`` of the ``(user, item)`` pairs ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_ratings, 2)
            User id, item id (integers or strings) of each rating.
        y : array-like of shape (n_ratings,)
            The ratings (finite numbers).

        {returns_self}
        """
        return self._train(X, y)

    def _training_data(self, X, y, *, warm, incremental):
        users, items, y = check_pairs(self, X, y, reset=not warm)
        if warm:
            u, i = self._encode_for_warm_start(users, items)
        else:
            self.user_encoder_, self.item_encoder_ = IdEncoder("user"), IdEncoder("item")
            u = self.user_encoder_.fit_transform(users)
            i = self.item_encoder_.fit_transform(items)
        n_users, n_items = len(self.user_encoder_), len(self.item_encoder_)
        if self.kind == "item":
            rows, cols, shape = i, u, (n_items, n_users)
        else:
            rows, cols, shape = u, i, (n_users, n_items)
        self.rating_matrix_ = pairs_to_csr(rows, cols, shape, y)
        observed = pairs_to_csr(rows, cols, shape)
        self._set_baselines(u, i, y, n_users, n_items)
        # The same matrix is input and target, except for the held-out ratings of early
        # stopping (see _validation_split).
        return TrainingData({"x": self.rating_matrix_, "target": self.rating_matrix_,
                             "mask": observed}, X=X, y=y)

    def _encode_for_warm_start(self, users, items):
        u, i = self.user_encoder_.transform(users), self.item_encoder_.transform(items)
        if (u < 0).any() or (i < 0).any():
            raise ValueError(
                "warm_start=True continues the previous model, whose input and output units "
                "are the users and items of the previous fit; got ids not seen then. Use "
                "warm_start=False to start a new model."
            )
        return u, i

    def _set_baselines(self, u, i, y, n_users, n_items):
        self.global_mean_ = float(np.mean(y))
        self.user_mean_ = np.bincount(u, y, n_users) / np.bincount(u, minlength=n_users)
        self.item_mean_ = np.bincount(i, y, n_items) / np.bincount(i, minlength=n_items)
        self.rating_range_ = (float(np.min(y)), float(np.max(y)))

    def _build_module(self, train, ctx):
        module = AutoRecModule(
            train.arrays[0].shape[1],
            self.n_components,
            activation=self.activation,
            out_activation=self.out_activation,
            shared_decoder=self.shrink_toward == "mean",
            generator=ctx.generator,
        )
        if self.out_activation == "identity":
            # Start every output unit at the mean rating of its column (user means for
            # I-AutoRec): the untrained network then predicts a sensible baseline.
            target, mask = train.arrays[1], train.arrays[2]
            counts = np.asarray(mask.sum(axis=0)).ravel()
            sums = np.asarray(target.sum(axis=0)).ravel()
            means = np.where(counts > 0, sums / np.maximum(counts, 1), self.global_mean_)
            _, bias = module.decoder_linear(0)
            with torch.no_grad():
                bias.copy_(torch.as_tensor(means, dtype=torch.float32))
        return module

    def _training_config(self):
        config = super()._training_config()
        if self.solver == "lbfgs" and config.batch_size == "auto":
            # One batch: the line search then sees exactly the mean over all observed ratings.
            config = replace(config, batch_size=sys.maxsize)
        return config

    def _make_optimizer(self, module):
        if self.solver == "adam":
            return super()._make_optimizer(module)
        # The paper's solver (Sedhain et al. 2015, section 2): full-batch L-BFGS. lr=1 is the
        # natural step of a quasi-Newton method; the line search scales it.
        return make_lbfgs(module)

    def _loss(self, module, batch, ctx):
        x, target, mask = batch.x, batch.target, batch.mask
        logits, _ = module(x)
        loss = masked_squared_error(module._out_act(logits), target, mask)
        if ctx.training and self.solver == "lbfgs" and self.alpha > 0:
            # L-BFGS has no weight decay: add the penalty whose gradient Adam's coupled decay
            # applies, alpha / 2 (||W||^2 + ||V||^2), so both solvers minimise one objective.
            # The engine averages batch losses weighted by rows, so it is counted once.
            weights = sum(p.square().sum() for p in module.parameters() if p.ndim >= 2)
            loss = loss + 0.5 * self.alpha * weights
        return loss

    def _validation_split(self, source, rng):
        """Hold out ``validation_fraction`` of the ratings (not of the rows)."""
        target, mask = source.arrays[1], source.arrays[2]
        n_obs = mask.nnz
        n_val = self._n_validation(n_obs, "ratings")
        held = np.zeros(n_obs, dtype=bool)
        held[rng.choice(n_obs, size=n_val, replace=False)] = True
        rows = np.repeat(np.arange(target.shape[0]), np.diff(target.indptr))
        cols, vals = target.indices, target.data

        def part(keep, values=True):
            return pairs_to_csr(rows[keep], cols[keep], target.shape,
                                vals[keep] if values else None)

        train_r = part(~held)
        train = BatchSource({"x": train_r, "target": train_r, "mask": part(~held, False)},
                            source.device)
        # Only rows with a held-out rating are validated; their input is the training part.
        val_rows = np.unique(rows[held])
        validation = BatchSource({"x": train_r[val_rows], "target": part(held)[val_rows],
                                  "mask": part(held, False)[val_rows]}, source.device)
        return train, validation

    # -- predict ---------------------------------------------------------------------------
    def predict(self, X):
        """Predict the rating of each ``(user, item)`` pair.

        Pairs with an unseen user or item get the baseline described in the Notes.

        Parameters
        ----------
        {pairs_X}

        {returns_ratings}
        """
        check_is_fitted(self)
        users, items = check_pairs(self, X, reset=False)
        u, i = self.user_encoder_.transform(users), self.item_encoder_.transform(items)
        seen_u, seen_i = u >= 0, i >= 0
        pred = np.full(len(u), self.global_mean_)
        pred[seen_u & ~seen_i] = self.user_mean_[u[seen_u & ~seen_i]]
        pred[~seen_u & seen_i] = self.item_mean_[i[~seen_u & seen_i]]
        both = seen_u & seen_i
        if both.any():
            rows, cols = (i[both], u[both]) if self.kind == "item" else (u[both], i[both])
            pred[both] = self._reconstruct_entries(rows, cols)
        if self.clip:
            np.clip(pred, *self.rating_range_, out=pred)
        return pred

    def _reconstruct_entries(self, rows, cols):
        """Entries ``(rows[k], cols[k])`` of the reconstructed rating matrix.

        Reconstructs each needed row once, a batch of rows at a time, so memory stays at
        ``_PREDICT_BATCH x n_columns`` whatever the number of pairs.
        """
        uniq, inverse = np.unique(rows, return_inverse=True)
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(0, len(uniq) + _PREDICT_BATCH,
                                                           _PREDICT_BATCH))
        out = np.empty(len(rows))
        module = self.module_
        module.eval()
        with torch.no_grad():
            for b, start in enumerate(range(0, len(uniq), _PREDICT_BATCH)):
                x = torch.from_numpy(self.rating_matrix_[uniq[start:start + _PREDICT_BATCH]]
                                     .toarray()).to(self.device_)
                recon = module.decode(module.encode(x)).cpu().numpy()
                idx = order[bounds[b]:bounds[b + 1]]
                out[idx] = recon[inverse[idx] - start, cols[idx]]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The two columns are ids: categorical values, possibly strings.
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
