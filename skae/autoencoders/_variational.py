"""``VariationalAutoencoder``: a generative autoencoder with samples and likelihood bounds."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skae._base import BaseAutoencoder
from skae._docs import fill_doc
from skae._engine import column_sums
from skae._estimator import PREDICT_BATCH_SIZE, store_init_params
from skae._random import keyed_standard_normal
from skae.nn._variational import LIKELIHOODS, VariationalMLP, negative_elbo
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["VariationalAutoencoder"]


def _resolve_likelihood(likelihood, X):
    """``likelihood``, with ``"auto"`` made ``"bernoulli"`` for data in [0, 1] (images scaled
    to [0, 1], binary data), else ``"gaussian"``."""
    if likelihood != "auto":
        return likelihood
    data = X.data if sp.issparse(X) else X  # a sparse matrix's implicit zeros are in [0, 1]
    return "bernoulli" if data.size == 0 or (data.min() >= 0 and data.max() <= 1) else "gaussian"

# The Gaussian decoder's variance is floored at this share of the mean per-feature variance of
# the training data: scale-free, and it keeps the density bounded on (near-)constant features.
_RELATIVE_VAR_FLOOR = 1e-3
_ABSOLUTE_VAR_FLOOR = 1e-6


@fill_doc
class VariationalAutoencoder(BaseAutoencoder):
    """Variational autoencoder (VAE) as a scikit-learn transformer and density model.

    A stochastic encoder ``q(z|x) = N(mu(x), diag(sigma^2(x)))``, a standard normal prior
    ``p(z) = N(0, I)`` and a decoder likelihood ``p(x|z)`` are trained together by maximising
    the evidence lower bound (ELBO) ``E_q[log p(x|z)] - beta * KL(q(z|x) || p(z))`` with the
    reparameterisation trick (Kingma & Welling, 2014). The KL term has its closed form and is
    always part of the loss.

    :meth:`transform` returns the posterior mean ``mu(x)`` (deterministic, no sampling);
    :meth:`inverse_transform` decodes codes to the decoder's mean ``E[x|z]``; :meth:`sample`
    generates new data from the prior; :meth:`score_samples` is a lower bound on
    ``log p(x)`` per sample in nats.

    Parameters
    ----------
    n_components : int, default=2
        Size of the latent code ``z``. 2 draws a latent map (:func:`skae.plotting.plot_latent_map`)
        but keeps only the rough shape of an image; for samples, reconstructions and
        likelihoods use more (10 to 50 on MNIST).

    hidden_layer_sizes : tuple of int, default=(100,)
        Sizes of the encoder's hidden layers; the decoder mirrors them. ``()`` gives linear
        Gaussian encoder and decoder.

    activation : {"relu", "sigmoid", "tanh", "identity"}, default="relu"
        Activation of the hidden layers.

    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        Decoder likelihood ``p(x|z)``; the one used is ``likelihood_``.

        - ``"bernoulli"``: independent Bernoulli pixels, the decoder outputs logits
          (numerically stable cross-entropy); data must lie in [0, 1]. Pick it for images
          scaled to [0, 1] (``X / 255``) and binary data: samples and reconstructions are
          pixel probabilities in [0, 1], and scores compare with the VAE literature on MNIST.
        - ``"gaussian"``: independent Gaussians with the decoder's output as mean and a
          learned per-feature variance (started at the training variance and floored at 1e-3
          times its mean over features, so the density stays bounded on constant features);
          any real data. Pick it for real-valued features (standardised, or min-max scaled
          measurements that are not intensities). On images its scores are densities of
          continuous pixels: they can be large and positive, and do not compare with
          Bernoulli scores.
        - ``"auto"``: ``"bernoulli"`` if every value of the training data of the fit that
          builds the network lies in [0, 1], else ``"gaussian"``.

    beta : float, default=1.0
        Weight of the KL term (beta-VAE, Higgins et al., 2017). ``beta=1`` is the ELBO; with
        ``beta != 1`` the training loss is no longer a bound, but :meth:`score_samples`
        still is (it always uses ``beta=1``).

    n_draws : int, default=1
        Number of draws ``k`` of ``z`` from the posterior ``q(z|x)`` per data point in
        :meth:`score_samples`. ``1``: the ELBO (one draw, closed-form KL). ``k > 1``: the
        importance-weighted bound of Burda et al. (2016), tighter as ``k`` grows and
        converging to ``log p(x)``.

    {engine_params}

    {engine_attributes_section}

    mean_ : ndarray of shape (``n_features_in_``,)
        Per-feature mean of the training data of the first fit, subtracted before encoding.

    likelihood_ : {"bernoulli", "gaussian"}
        The decoder likelihood of the network: ``likelihood``, or what ``"auto"`` chose from
        the training data of the fit that built it. :meth:`partial_fit` and warm starts keep it.

    See Also
    --------
    Autoencoder : The deterministic autoencoder.
    sklearn.decomposition.FactorAnalysis : The linear-Gaussian latent variable model.
    sklearn.mixture.GaussianMixture : Another density model with ``sample``/``score_samples``.

    Notes
    -----
    The training loss (``loss_curve_``) is the negative ELBO per sample in nats, averaged over
    the minibatch, with a single reparameterised sample of ``z`` drawn from the estimator's own
    generator (seeded by ``random_state``; global random states are not touched).

    :meth:`score_samples` draws the latent samples of each data point from a stream seeded by
    the fitted model (hence by ``random_state``) and by the data point itself: the scores are
    reproducible, independent across data points, and a sample's score does not depend on the
    other rows passed with it or on their order.

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    .. [2] Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted Autoencoders",
       ICLR 2016.
    .. [3] I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a Constrained
       Variational Framework", ICLR 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoder(n_components=4, hidden_layer_sizes=(64,), max_iter=5,
    ...                              random_state=0).fit(X / 16)
    >>> vae.likelihood_  # likelihood="auto" and pixels in [0, 1]
    'bernoulli'
    >>> vae.transform(X[:3] / 16).shape
    (3, 4)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    >>> vae.score_samples(X[:3] / 16).shape
    (3,)
    """

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "likelihood",
                          "device")

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "likelihood": [StrOptions({"auto", *LIKELIHOODS})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        likelihood="auto",
        beta=1.0,
        n_draws=1,
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

    # -- what BaseAutoencoder and the engine call ------------------------------------------
    def _unit_interval_reason(self):
        # The likelihood of the network once built (a warm start continues it), else the one
        # asked for: "auto" accepts any data.
        if getattr(self, "likelihood_", self.likelihood) != "bernoulli":
            return None
        if self.likelihood == "auto":
            return ("likelihood_='bernoulli' (chosen by likelihood='auto' for training data in "
                    "[0, 1])", "a model fitted with likelihood='gaussian'")
        return "likelihood='bernoulli'", "likelihood='gaussian'"

    def _validate_fit_data(self, X, reset):
        if reset:  # a new network: "auto" chooses again, from this fit's data
            vars(self).pop("likelihood_", None)
        X = super()._validate_fit_data(X, reset)
        if reset:
            self.likelihood_ = _resolve_likelihood(self.likelihood, X)
        return X

    def _build_module(self, train, ctx):
        mean = self._input_mean(train)
        var = (column_sums(train, torch.square) / len(train)
               - mean.double().square()).clamp_min(0.0).float()
        floor = max(_RELATIVE_VAR_FLOOR * float(var.mean()), _ABSOLUTE_VAR_FLOOR)
        # Seed of the Monte Carlo draws of score_samples: from this fit's generator, and kept
        # for the life of the module (partial_fit and warm starts do not change it).
        ctx.fitted["likelihood_"] = self.likelihood_
        ctx.fitted["_score_seed"] = int(
            torch.randint(np.iinfo(np.int32).max, (1,), generator=ctx.generator))
        return VariationalMLP(
            train.arrays[0].shape[1],
            self._hidden_sizes(),
            self.n_components,
            activation=self.activation,
            likelihood=self.likelihood_,
            mean=mean,
            variance=var,
            var_floor=floor,
            generator=ctx.generator,
        )

    def _loss(self, module, batch, ctx):
        # The ELBO is an expectation over q(z|x): validation samples z too (from the same
        # generator), so the validation loss is the same quantity as the training loss.
        x = batch.x
        out, aux = module(x, ctx.generator)
        loss = negative_elbo(module.log_likelihood(x, out), aux["mu"], aux["logvar"], self.beta)
        return loss.mean()

    # -- public API ------------------------------------------------------------------------
    def _row_noise(self, rows):
        """Standard normal draws ``(n_rows, n_draws, n_components)``, keyed per row.

        Each row's draws are a function of the model's score seed and the row's float32 bytes
        only (:func:`skae._random.keyed_standard_normal`, vectorised): draws are independent
        across rows (so a mean over rows also averages the Monte Carlo error), reproducible,
        and a row's score does not depend on the rows scored with it or on their order.
        """
        eps = keyed_standard_normal(rows, self._score_seed,
                                    (self.n_draws, self.n_components))
        return torch.from_numpy(eps).to(self.device_)

    def score_samples(self, X):
        """Lower bound on the log-likelihood ``log p(x)`` of each sample, in nats.

        With ``n_draws=1`` the ELBO; with ``n_draws=k > 1`` the importance-weighted
        bound ``log (1/k) sum_i p(x, z_i) / q(z_i|x)`` (Burda et al., 2016, eq. 8). The draws
        of ``z`` depend only on the fitted model and the sample, so the result is reproducible
        and each sample's score is the same whatever other rows are passed with it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float32
            Higher means more likely under the model. For a Gaussian likelihood these are
            log-densities and can be positive. float32 like the network that computes them,
            as in :meth:`Autoencoder.score_samples`.
        """
        X = self._validate_predict_data(X)
        self._check_unit_interval(X)
        # Rows per batch: the k decoded draws of each row are alive at once, so bound
        # batch * k * n_features (about 16 MB of float32).
        step = int(np.clip(2**22 // (self.n_draws * X.shape[1]), 1, PREDICT_BATCH_SIZE))

        def bound(module, x):
            eps = self._row_noise(x.cpu().numpy())
            if self.n_draws == 1:
                return module.elbo(x, eps[:, 0])
            return module.importance_weighted(x, eps)

        return self._predict_batches(X, bound, batch_size=step)

    def sample(self, n_samples=1, random_state=None):
        """Generate data: decode codes drawn from the prior ``N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws of ``z``. Pass an int for reproducible samples.

        Returns
        -------
        X : ndarray of shape (n_samples, ``n_features_in_``), dtype float32
            The decoder's mean ``E[x|z]`` of each draw (pixel probabilities for a Bernoulli
            likelihood, in [0, 1]), as generated images of a VAE are usually shown.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(n_samples, self.n_components, generator=generator).numpy()
        return self._predict_batches(z, lambda m, h: m.decode(h), self.n_features_in_)
