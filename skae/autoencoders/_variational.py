"""``VariationalAutoencoder``: a generative autoencoder with samples and likelihood bounds."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._base import BaseAutoencoder
from skae._docs import fill_doc
from skae._engine import iter_batches
from skae._estimator import ENGINE_PARAMETER_CONSTRAINTS, PREDICT_BATCH_SIZE
from skae._random import keyed_standard_normal
from skae.nn import ACTIVATIONS
from skae.nn._variational import LIKELIHOODS, VariationalMLP, negative_elbo
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["VariationalAutoencoder"]

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
        Size of the latent code ``z``.

    hidden_layer_sizes : tuple of int, default=(100,)
        Sizes of the encoder's hidden layers; the decoder mirrors them. ``()`` gives linear
        Gaussian encoder and decoder.

    activation : {"relu", "sigmoid", "tanh", "identity"}, default="relu"
        Activation of the hidden layers.

    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Decoder likelihood ``p(x|z)``. ``"bernoulli"``: independent Bernoulli pixels, the
        decoder outputs logits (numerically stable cross-entropy); data must lie in [0, 1].
        ``"gaussian"``: independent Gaussians with the decoder's output as mean and a learned
        per-feature variance (started at the training variance and floored at 1e-3 times its
        mean over features, so the density stays bounded on constant features); any real data.

    beta : float, default=1.0
        Weight of the KL term (beta-VAE, Higgins et al., 2017). ``beta=1`` is the ELBO; with
        ``beta != 1`` the training loss is no longer a bound, but :meth:`score_samples`
        still is (it always uses ``beta=1``).

    n_importance : int, default=1
        Number of latent samples ``k`` per data point in :meth:`score_samples`. ``1``: the
        ELBO (one sample, closed-form KL). ``k > 1``: the importance-weighted bound of Burda et
        al. (2016), tighter as ``k`` grows and converging to ``log p(x)``.

    {engine_params}

    Attributes
    ----------
    {engine_attributes}

    mean_ : ndarray of shape (``n_features_in_``,)
        Per-feature mean of the training data of the first fit, subtracted before encoding.

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
    >>> vae = VariationalAutoencoder(n_components=4, hidden_layer_sizes=(64,),
    ...                              likelihood="bernoulli", max_iter=5,
    ...                              random_state=0).fit(X / 16)
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
        **ENGINE_PARAMETER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "likelihood": [StrOptions(set(LIKELIHOODS))],
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_importance": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        likelihood="gaussian",
        beta=1.0,
        n_importance=1,
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
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.likelihood = likelihood
        self.beta = beta
        self.n_importance = n_importance
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # -- what BaseAutoencoder and the engine call ------------------------------------------
    def _out_activation(self):
        return "sigmoid" if self.likelihood == "bernoulli" else "identity"

    def _check_support(self, X):
        """A Bernoulli likelihood is only defined for data in [0, 1]."""
        if self.likelihood != "bernoulli":
            return
        data = X.data if sp.issparse(X) else X
        if data.size and (data.min() < 0 or data.max() > 1):
            raise ValueError(
                "likelihood='bernoulli' needs data in [0, 1]; got values in "
                f"[{data.min():.4g}, {data.max():.4g}]. Scale the data (e.g. MinMaxScaler) "
                "or use likelihood='gaussian'."
            )

    def _validate_fit_data(self, X, reset):
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float32, np.float64],
                          reset=reset)
        self._check_support(X)
        return X

    def _input_moments(self, source):
        """Per-feature mean and variance of the training data, batch by batch."""
        n_features = source.arrays[0].shape[1]
        s1 = torch.zeros(n_features, dtype=torch.float64)
        s2 = torch.zeros(n_features, dtype=torch.float64)
        for (xb,) in iter_batches(source, PREDICT_BATCH_SIZE):
            xb = xb.double().cpu()
            s1 += xb.sum(0)
            s2 += xb.square().sum(0)
        mean = s1 / len(source)
        var = (s2 / len(source) - mean.square()).clamp_min(0.0)
        return mean.float(), var.float()

    def _build_module(self, source, generator):
        mean, var = self._input_moments(source)
        floor = max(_RELATIVE_VAR_FLOOR * float(var.mean()), _ABSOLUTE_VAR_FLOOR)
        # Seed of the Monte Carlo draws of score_samples: from this fit's generator, and kept
        # for the life of the module (partial_fit and warm starts do not change it).
        self._score_seed = int(torch.randint(np.iinfo(np.int32).max, (1,), generator=generator))
        return VariationalMLP(
            source.arrays[0].shape[1],
            self._hidden_sizes(),
            self.n_components,
            activation=self.activation,
            likelihood=self.likelihood,
            mean=mean,
            variance=var,
            var_floor=floor,
            generator=generator,
        )

    def _loss(self, module, batch, training):
        # The ELBO is an expectation over q(z|x): validation samples z too (from the same
        # generator), so the validation loss is the same quantity as the training loss.
        x = batch[0]
        out, aux = module(x, getattr(self, "_train_generator", None))
        loss = negative_elbo(module.log_likelihood(x, out), aux["mu"], aux["logvar"], self.beta)
        return loss.mean()

    # -- public API ------------------------------------------------------------------------
    def _row_noise(self, rows):
        """Standard normal draws ``(n_rows, n_importance, n_components)``, keyed per row.

        Each row's draws are a function of the model's score seed and the row's float32 bytes
        only (:func:`skae._random.keyed_standard_normal`, vectorised): draws are independent
        across rows (so a mean over rows also averages the Monte Carlo error), reproducible,
        and a row's score does not depend on the rows scored with it or on their order.
        """
        eps = keyed_standard_normal(rows, self._score_seed,
                                    (self.n_importance, self.n_components))
        return torch.from_numpy(eps).to(self.device_)

    def score_samples(self, X):
        """Lower bound on the log-likelihood ``log p(x)`` of each sample, in nats.

        With ``n_importance=1`` the ELBO; with ``n_importance=k > 1`` the importance-weighted
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
        self._check_support(X)
        module = self.module_.eval()
        # Rows per batch: the k decoded draws of each row are alive at once, so bound
        # batch * k * n_features (about 16 MB of float32).
        step = int(np.clip(2**22 // (self.n_importance * X.shape[1]), 1, PREDICT_BATCH_SIZE))
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], step):
                rows = X[start:start + step]
                rows = (rows.toarray() if sp.issparse(rows) else np.asarray(rows))
                rows = rows.astype(np.float32)
                eps = self._row_noise(rows)
                x = torch.from_numpy(rows).to(self.device_)
                bound = (module.elbo(x, eps[:, 0]) if self.n_importance == 1
                         else module.importance_weighted(x, eps))
                out.append(bound.cpu().numpy())
        return np.concatenate(out)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: the average log-likelihood bound in nats.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X), dtype=np.float64))

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

    @property
    def components_(self):
        """Not defined for a VAE: its encoder has separate mean and variance heads."""
        raise AttributeError(
            "VariationalAutoencoder has no components_; the encoder's mean head is "
            "module_.mu_head."
        )
