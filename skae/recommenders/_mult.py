"""Mult-DAE and Mult-VAE: autoencoders with a multinomial likelihood (Liang et al., WWW 2018)."""

import math
from numbers import Integral, Real

import torch
import torch.nn.functional as F

from skae._constraints import network_constraints
from skae._docs import fill_doc
from skae._engine import column_sums
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    check_hidden_layer_sizes,
    store_init_params,
)
from skae.nn._recommenders import (
    MultDAEModule,
    MultVAEModule,
    inverted_dropout,
    multinomial_log_likelihood,
)
from skae.nn._variational import gaussian_kl
from skae.recommenders._topn_base import BaseNeuralTopNRecommender
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["MultDAE", "MultVAE"]


class _BaseMult(BaseNeuralTopNRecommender):
    """Shared by Mult-DAE and Mult-VAE: input normalisation and corruption, scores, checks."""

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "device")

    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        **network_constraints("n_components", "hidden_layer_sizes", "activation", "noise_level"),
    }

    def _check_params(self):
        check_hidden_layer_sizes(self.hidden_layer_sizes)

    def _input(self, x, ctx=None):
        # Liang et al.'s code normalises each user's row to unit l2 norm, then applies dropout
        # to it during training (sec. 2.3 and the authors' notebook).
        h = F.normalize(x, dim=1)
        if ctx is not None and ctx.training:
            return inverted_dropout(h, self.noise_level, ctx.generator)
        return h

    def _encode(self, module, x):
        code = module.encode(self._input(x))
        return code[0] if isinstance(code, tuple) else code

    def _item_scores(self, module, x):
        logits, _ = module(self._input(x))
        return F.log_softmax(logits, dim=1)

    def _build(self, module_class, train, ctx):
        """The network, its softmax started at the items' share of all interactions.

        The multinomial's maximum-likelihood probabilities without a user signal are the
        item frequencies (the popularity ranking); starting there spends the first updates
        on personalisation.
        """
        module = module_class(
            n_items=train.arrays[0].shape[1],
            hidden_layer_sizes=check_hidden_layer_sizes(self.hidden_layer_sizes),
            n_components=self.n_components, activation=self.activation,
            generator=ctx.generator)
        counts = column_sums(train)
        with torch.no_grad():
            module.decoder_layers[-1].bias.copy_(torch.log(counts / counts.sum() + 1e-8).float())
        return module


_MULT_REFERENCES = """\
.. [1] D. Liang, R. G. Krishnan, M. D. Hoffman and T. Jebara, "Variational autoencoders for
       collaborative filtering", WWW 2018."""

_MULT_PARAMS = """\
n_components : int, default=200
        Size of the user representation (the paper's latent dimension, 200).

    hidden_layer_sizes : tuple of int, default=(600,)
        Hidden layers of the encoder between the items and the code; the decoder mirrors them.
        The default is the paper's ``[I -> 600 -> 200 -> 600 -> I]``.

    activation : {"tanh", "relu", "sigmoid", "identity"}, default="tanh"
        Hidden activation.

    noise_level : float, default=0.5
        Corruption level of the input during training (the paper's dropout): each entry of
        the l2-normalised row is set to 0 with this probability and the kept entries are
        scaled by ``1 / (1 - noise_level)``."""


@fill_doc(mult_params=_MULT_PARAMS, mult_references=_MULT_REFERENCES)
class MultDAE(_BaseMult):
    """Denoising autoencoder with a multinomial likelihood for top-N recommendation (Mult-DAE).

    Each user's interaction row ``x_u`` is l2-normalised and corrupted with dropout, encoded
    to a code, and decoded to item logits ``f(z_u)``; training maximises the multinomial
    log-likelihood ``sum_i x_ui log softmax(f(z_u))_i`` (Liang et al., 2018, eq. 2 and sec. 2.3).
    Items are ranked by ``log softmax(f(z_u))``, computed from the user's row only, so users not
    seen in :meth:`fit` are scored without retraining.

    Parameters
    ----------
    {mult_params}

    {engine_params}

    {engine_attributes_section}

    {topn_id_attributes}

    See Also
    --------
    MultVAE : The variational version, usually a little better.
    EASE : A closed-form linear autoencoder, often as accurate and much faster to fit.

    Notes
    -----
    The authors' code uses a weight penalty ``lam=0.01`` on the summed per-user loss, which
    is ``alpha=0.02`` here. ``predict_scores`` returns log-probabilities of the items.

    References
    ----------
    {mult_references}

    Examples
    --------
    >>> import numpy as np
    >>> from skae import MultDAE
    >>> X = (np.random.RandomState(0).rand(50, 20) > 0.7).astype(np.float32)
    >>> model = MultDAE(n_components=8, hidden_layer_sizes=(16,), max_iter=5,
    ...                 random_state=0).fit(X)
    >>> model.transform(X).shape
    (50, 8)
    >>> model.recommend(X[:2], n=3).shape
    (2, 3)
    """

    def __init__(
        self,
        n_components=200,
        *,
        hidden_layer_sizes=(600,),
        activation="tanh",
        noise_level=0.5,
        alpha=0.0,
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

    def _build_module(self, train, ctx):
        return self._build(MultDAEModule, train, ctx)

    def _loss(self, module, batch, ctx):
        x = batch.x
        logits, _ = module(self._input(x, ctx))
        return -multinomial_log_likelihood(logits, x).mean()


@fill_doc(mult_params=_MULT_PARAMS, mult_references=_MULT_REFERENCES)
class MultVAE(_BaseMult):
    """Variational autoencoder with a multinomial likelihood for top-N recommendation (Mult-VAE).

    The encoder maps a user's l2-normalised, dropout-corrupted interaction row to a Gaussian
    ``q(z_u | x_u) = N(mu, diag(sigma^2))``; the decoder maps ``z_u`` to item logits. Training
    maximises the annealed evidence lower bound of Liang et al. (2018), eq. 7,
    ``E_q[log p(x_u | z_u)] - beta * KL(q(z_u | x_u) || N(0, I))``, with the multinomial
    likelihood of eq. 2 and ``beta`` raised linearly from 0 to ``beta_cap`` over the first
    ``anneal_steps`` parameter updates (sec. 2.2.2). Prediction uses ``z_u = mu`` (sec. 2.4).
    :meth:`transform` returns ``mu``; users not seen in :meth:`fit` are folded in from their row.

    Parameters
    ----------
    {mult_params}

    beta_cap : float, default=0.2
        Final weight of the KL term (the paper's best value, ``beta = 0.2``).

    anneal_steps : int or "auto", default="auto"
        Number of updates over which ``beta`` grows from 0 to ``beta_cap``; 0 uses
        ``beta_cap`` from the start. ``"auto"`` reaches the cap after 80% of the updates that
        ``max_iter`` epochs allow, like the authors' ML-20M schedule, which reached it near the
        end of training.

    {engine_params}

    {engine_attributes_section}

    anneal_steps_ : int
        The number of annealing updates used (``anneal_steps`` resolved).

    {topn_id_attributes}

    See Also
    --------
    MultDAE : The denoising, non-variational version.
    EASE : A closed-form linear autoencoder.

    Notes
    -----
    The reported loss is the negative annealed ELBO per user, with the ``beta`` of the moment;
    the validation loss (``early_stopping=True``) uses ``beta_cap`` so that epochs compare.
    Without early stopping the convergence check (``tol``, ``n_iter_no_change``) starts only
    once ``beta`` has reached ``beta_cap``: before, the training loss rises by design.
    As for ``MultDAE``, ``predict_scores`` returns log-probabilities of the items.

    References
    ----------
    {mult_references}

    Examples
    --------
    A sparse interaction matrix stays sparse; a user not seen in :meth:`fit` is folded in
    from its row:

    >>> import scipy.sparse as sp
    >>> from skae import MultVAE
    >>> X = sp.random(50, 20, density=0.3, format="csr", random_state=0)
    >>> model = MultVAE(n_components=8, hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    >>> mu = model.fit(X).transform(X[:3])  # the posterior means of three users
    >>> mu.shape
    (3, 8)
    >>> new_user = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 0, 0], [2, 5, 11])), shape=(1, 20))
    >>> items, scores = model.recommend(new_user, n=3, return_scores=True)
    >>> items.shape, scores.dtype, bool({2, 5, 11} & set(items[0].tolist()))
    ((1, 3), dtype('float32'), False)
    """

    _parameter_constraints = {
        **_BaseMult._parameter_constraints,
        "beta_cap": [Interval(Real, 0, None, closed="left")],
        "anneal_steps": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=200,
        *,
        hidden_layer_sizes=(600,),
        activation="tanh",
        noise_level=0.5,
        beta_cap=0.2,
        anneal_steps="auto",
        alpha=0.0,
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

    def _resolve_anneal_steps(self, n_samples):
        if self.anneal_steps != "auto":
            return int(self.anneal_steps)
        if self.early_stopping:
            n_samples -= int(round(self.validation_fraction * n_samples))
        n_samples = max(n_samples, 1)
        per_epoch = math.ceil(n_samples / self._training_config().batch_rows(n_samples))
        return max(1, int(0.8 * self.max_iter * per_epoch))

    def _build_module(self, train, ctx):
        # Kept in the training state (warm starts continue the same schedule) and reported
        # as anneal_steps_.
        ctx.state["anneal_steps"] = self._resolve_anneal_steps(len(train))
        ctx.fitted["anneal_steps_"] = ctx.state["anneal_steps"]
        return self._build(MultVAEModule, train, ctx)

    def _beta(self, ctx):
        """``beta = beta_cap * min(1, updates / anneal_steps)`` (Liang et al., sec. 2.2.2)."""
        anneal_steps = ctx.state["anneal_steps"]
        if anneal_steps == 0:
            return self.beta_cap
        return self.beta_cap * min(1.0, ctx.step / anneal_steps)

    def _loss_comparable(self, ctx):
        # Asked before each epoch. The training objective changes with beta until annealing
        # ends: its rise then is not a plateau, so the convergence check waits for the cap.
        return ctx.step >= ctx.state["anneal_steps"]

    def _loss(self, module, batch, ctx):
        x = batch.x
        logits, aux = module(self._input(x, ctx),
                             generator=ctx.generator if ctx.training else None)
        nll = -multinomial_log_likelihood(logits, x).mean()
        kl = gaussian_kl(aux["mu"], aux["logvar"]).mean()
        return nll + (self._beta(ctx) if ctx.training else self.beta_cap) * kl


