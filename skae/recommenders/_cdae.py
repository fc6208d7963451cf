"""CDAE: Collaborative Denoising Auto-Encoders for top-N recommendation (Wu et al., WSDM 2016)."""


import numpy as np
import torch
import torch.nn.functional as F

from skae._constraints import network_constraints
from skae._docs import fill_doc
from skae._engine import column_sums
from skae._estimator import ENGINE_PARAMETER_CONSTRAINTS, store_init_params
from skae.nn._recommenders import CDAEModule, inverted_dropout
from skae.recommenders._topn_base import BaseNeuralTopNRecommender

__all__ = ["CDAE"]


@fill_doc
class CDAE(BaseNeuralTopNRecommender):
    """Collaborative denoising autoencoder for top-N recommendation.

    A one-hidden-layer denoising autoencoder over a user's binary interaction row ``y_u``
    whose hidden layer also receives a learned vector ``V_u`` of that user (the "user node"):
    ``z_u = h(W^T y~_u + V_u + b)``, ``y_hat_u = sigmoid(W'^T z_u + b')`` (Wu et al., 2016,
    eq. 5-6). The input ``y~_u`` is corrupted by dropout during training (eq. 3) and the model
    minimises the logistic loss of reconstructing the uncorrupted ``y_u`` (eq. 7), summed over
    all items, i.e. with every non-interacted item as a negative instead of a sample of them.

    **Fold-in of users.** Every row passed to :meth:`transform`, :meth:`predict_scores` or
    :meth:`recommend` is treated as a user to fold in: its uncorrupted interactions are encoded
    with the *mean* of the learned user vectors in place of ``V_u`` (the offset of an average
    training user), without any retraining. This is the rule for users not seen in
    :meth:`fit`; it is applied to every row because a row of a matrix carries no user identity.
    The learned vectors of the training users are in :attr:`user_embeddings_`.

    Any positive entry of ``X`` counts as one interaction (the model is binary). ``X`` may
    also be a long table of interactions (see :meth:`fit`); :meth:`recommend` then answers
    in item ids.

    **Schedule.** By default the step size follows a cosine from ``3e-3`` to 0 over the 200
    epochs: a planned schedule, which runs every epoch and raises no ConvergenceWarning. A
    constant step size never met ``tol`` on MovieLens (the loss, summed over the items, is in
    the hundreds) and ranked held-out training users no better
    (``benchmarks/bench_cdae_schedule.py``).

    Parameters
    ----------
    n_components : int, default=50
        Number of hidden units ``K`` (the paper's default, 50).

    noise_level : float, default=0.2
        Corruption level ``q`` of the input (the paper's drop-out corruption): each entry is
        set to 0 with probability ``q`` and the kept entries are scaled by ``1/(1-q)``.

    activation : {"sigmoid", "tanh", "relu", "identity"}, default="sigmoid"
        Hidden activation ``h``.

    {engine_params}

    {engine_attributes_section}

    user_embeddings_ : ndarray of shape (n_users, n_components)
        The learned user vectors ``V_u`` of the training users, in row order of ``X``.

    {topn_id_attributes}

    See Also
    --------
    MultDAE : A deeper denoising autoencoder with a multinomial likelihood.

    References
    ----------
    .. [1] Y. Wu, C. DuBois, A. X. Zheng and M. Ester, "Collaborative denoising auto-encoders
       for top-N recommender systems", WSDM 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import CDAE
    >>> X = (np.random.RandomState(0).rand(50, 20) > 0.7).astype(np.float32)
    >>> model = CDAE(n_components=8, max_iter=5, random_state=0).fit(X)
    >>> model.user_embeddings_.shape
    (50, 8)
    >>> model.recommend(X[:2], n=3).shape
    (2, 3)
    """

    _structural_params = ("n_components", "activation", "device")

    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        **network_constraints("n_components", "noise_level", "activation"),
    }

    def __init__(
        self,
        n_components=50,
        *,
        noise_level=0.2,
        activation="sigmoid",
        alpha=0.0,
        learning_rate="cosine",
        learning_rate_init=3e-3,
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

    def _training_arrays(self, X, warm):
        if warm and X.shape[0] != self.module_.user_embedding.num_embeddings:
            raise ValueError(
                f"warm_start=True needs the same training users: the model has "
                f"{self.module_.user_embedding.num_embeddings} user vectors, X has "
                f"{X.shape[0]} rows."
            )
        # The row index identifies the training user whose vector V_u enters the hidden layer.
        return {"x": X, "users": np.arange(X.shape[0], dtype=np.int64)}

    def _build_module(self, train, ctx):
        n_items = train.arrays[0].shape[1]
        # One vector per row of X: early stopping's validation rows keep their row numbers.
        module = CDAEModule(n_items, train.full_length, self.n_components,
                            activation=self.activation, generator=ctx.generator)
        # Start the output at each item's training frequency (the popularity ranking), so that
        # the first updates are spent on users' tastes, not on pushing 1,000s of outputs from
        # 0.5 towards 0. The frequency is counted batch by batch: sparse X stays sparse.
        counts = column_sums(train, lambda x: (x > 0).to(x.dtype))
        freq = (counts / len(train)).clamp(1e-4, 1 - 1e-4)
        with torch.no_grad():
            module.decoder.bias.copy_(torch.logit(freq).float())
        return module

    def _loss(self, module, batch, ctx):
        x, users = batch.x, batch.users
        y = (x > 0).to(x.dtype)
        if ctx.training:
            logits, _ = module(inverted_dropout(y, self.noise_level, ctx.generator), users)
        else:
            # Validation users are folded in like new users (their own vectors are untrained).
            logits, _ = module(y)
        return F.binary_cross_entropy_with_logits(logits, y, reduction="none").sum(dim=1).mean()

    def _encode(self, module, x):
        return module.encode((x > 0).to(x.dtype))

    def _item_scores(self, module, x):
        logits, _ = module((x > 0).to(x.dtype))
        return torch.sigmoid(logits)

    @property
    def user_embeddings_(self):
        """Learned user vectors ``V_u`` of the training users (n_users, n_components)."""
        return self.module_.user_embedding.weight.detach().cpu().numpy().copy()
