"""The variational autoencoder module and its objective as pure tensor functions.

A Gaussian encoder ``q(z|x) = N(mu(x), diag(exp(logvar(x))))``, a standard normal prior
``p(z) = N(0, I)`` and a decoder likelihood ``p(x|z)`` (Bernoulli on logits, or Gaussian with a
learned per-feature variance), after Kingma & Welling, "Auto-Encoding Variational Bayes",
ICLR 2014. Every function returns one value per sample (no reduction), in nats.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from skae.nn._autoencoder import Center
from skae.nn._blocks import init_linear_, make_mlp

__all__ = [
    "LIKELIHOODS",
    "VariationalMLP",
    "bernoulli_log_likelihood",
    "gaussian_kl",
    "gaussian_log_likelihood",
    "importance_weighted_bound",
    "log_normal",
    "negative_elbo",
    "reparameterize",
]

LIKELIHOODS = ("bernoulli", "gaussian")

# Clamp of the encoder's log-variance: exp(-20) ~ 2e-9 and exp(10) ~ 2e4 are far outside what a
# trained posterior uses, and keep exp() and the KL finite in float32 during early training.
LOGVAR_MIN, LOGVAR_MAX = -20.0, 10.0
_LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mu, logvar, generator=None):
    """Draw ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)`` from ``generator``.

    The reparameterisation trick (Kingma & Welling 2014, sec. 2.4) makes the draw a
    differentiable function of ``mu`` and ``logvar``. ``eps`` is drawn on the generator's
    device (a CPU generator serves a CUDA model too) and moved to ``mu``'s.
    """
    device = generator.device if generator is not None else mu.device
    eps = torch.randn(mu.shape, generator=generator, device=device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps.to(mu.device)


def gaussian_kl(mu, logvar):
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))`` of each row, in closed form.

    Kingma & Welling (2014), Appendix B: ``-KL = 1/2 * sum_j (1 + logvar_j - mu_j^2 -
    exp(logvar_j))``.
    """
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=-1)


def log_normal(z, mu=None, logvar=None):
    """``log N(z; mu, diag(exp(logvar)))`` summed over the last dimension (standard if omitted)."""
    if mu is None:
        return -0.5 * (z.square() + _LOG_2PI).sum(dim=-1)
    return -0.5 * ((z - mu).square() * torch.exp(-logvar) + logvar + _LOG_2PI).sum(dim=-1)


def bernoulli_log_likelihood(logits, x):
    """``log p(x|z)`` of a factorised Bernoulli with the given logits, summed over features.

    The logit form, ``-BCE_with_logits``, is exact and never evaluates ``log(0)``.
    """
    return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits),
                                               reduction="none").sum(dim=-1)


def gaussian_log_likelihood(mean, logvar, x):
    """``log N(x; mean, diag(exp(logvar)))`` summed over features."""
    return log_normal(x, mean, logvar)


def negative_elbo(log_likelihood, mu, logvar, beta=1.0):
    """Negative evidence lower bound ``-(log p(x|z) - beta * KL(q(z|x) || p(z)))`` per sample.

    With ``beta = 1`` this is the negated ELBO of Kingma & Welling (2014), eq. 10, with one
    sample of ``z``; ``beta != 1`` is the beta-VAE objective (Higgins et al., ICLR 2017, eq. 4).
    """
    return beta * gaussian_kl(mu, logvar) - log_likelihood


def importance_weighted_bound(log_weights, dim=-1):
    """``log (1/k) sum_i w_i`` from log-weights ``log w_i = log p(x, z_i) - log q(z_i|x)``.

    Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016, eq. 8. It
    is a lower bound on ``log p(x)`` that tightens as ``k`` grows; ``logsumexp`` keeps it
    finite when the weights are far below ``exp(-100)``.
    """
    k = log_weights.shape[dim]
    return torch.logsumexp(log_weights, dim=dim) - math.log(k)


class VariationalMLP(nn.Module):
    """Gaussian MLP encoder, MLP decoder and the decoder likelihood of a VAE.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : sequence of int
        Encoder hidden layers; the decoder uses them in reverse order.
    n_components : int
        Size of the latent code ``z``.
    activation : str
        Activation of the hidden layers.
    likelihood : {"bernoulli", "gaussian"}
        ``p(x|z)``. Bernoulli: the decoder outputs logits. Gaussian: the decoder outputs the
        mean, and a per-feature log-variance is a learned parameter, floored at
        ``log(var_floor)``.
    mean : tensor of shape (n_features,), optional
        Training mean: subtracted before encoding, and the decoder's output bias starts at it
        (at its logit for a Bernoulli likelihood).
    variance : tensor of shape (n_features,), optional
        Training variance: the Gaussian decoder's log-variance starts at its log.
    var_floor : float, default=1e-6
        Smallest variance of the Gaussian decoder; keeps the likelihood bounded on constant
        features.
    generator : torch.Generator, optional
        Source of randomness for the initial weights.
    """

    def __init__(self, n_features, hidden_layer_sizes, n_components, activation="relu",
                 likelihood="gaussian", mean=None, variance=None, var_floor=1e-6,
                 generator=None):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")
        hidden = [int(s) for s in hidden_layer_sizes]
        self.likelihood = likelihood
        self.center = Center(torch.zeros(n_features) if mean is None else mean)
        enc_sizes = [int(n_features), *hidden]
        self.encoder_trunk = (make_mlp(enc_sizes, activation, generator=generator)
                              if hidden else nn.Identity())
        self.mu_head = init_linear_(nn.Linear(enc_sizes[-1], n_components), "identity", generator)
        self.logvar_head = init_linear_(nn.Linear(enc_sizes[-1], n_components), "identity",
                                        generator)
        dec_sizes = [int(n_components), *hidden[::-1], int(n_features)]
        self.decoder = make_mlp(dec_sizes, activation, out_activation="identity",
                                generator=generator)
        self._init_output(mean, variance, var_floor, n_features)

    def _init_output(self, mean, variance, var_floor, n_features):
        """Start the decoder at the data mean, as the plain autoencoder does."""
        bias = self.decoder[-1].bias
        with torch.no_grad():
            if mean is not None:
                mean = torch.as_tensor(mean, dtype=torch.float32)
                bias.copy_(torch.logit(mean.clamp(1e-3, 1 - 1e-3))
                           if self.likelihood == "bernoulli" else mean)
        self.register_buffer("out_logvar_min", torch.tensor(math.log(var_floor)))
        if self.likelihood == "gaussian":
            var = (torch.ones(n_features) if variance is None
                   else torch.as_tensor(variance, dtype=torch.float32))
            self.out_logvar = nn.Parameter(var.clamp_min(var_floor).log())
        else:
            self.register_parameter("out_logvar", None)

    def posterior(self, x):
        """``(mu, logvar)`` of ``q(z|x)``; the log-variance is clamped for stability."""
        h = self.encoder_trunk(self.center(x))
        return self.mu_head(h), self.logvar_head(h).clamp(LOGVAR_MIN, LOGVAR_MAX)

    def encode(self, x):
        """The posterior mean: a deterministic code, with no sampling."""
        return self.posterior(x)[0]

    def decode_logits(self, z):
        """Natural output of the decoder: Bernoulli logits, or the Gaussian mean."""
        return self.decoder(z)

    def decode(self, z):
        """The decoder's mean ``E[x|z]``."""
        out = self.decode_logits(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def decoder_logvar(self):
        """Per-feature log-variance of the Gaussian decoder, floored."""
        return torch.maximum(self.out_logvar, self.out_logvar_min)

    def log_likelihood(self, x, out):
        """``log p(x|z)`` per sample from the decoder output ``out`` (any leading shape)."""
        if self.likelihood == "bernoulli":
            return bernoulli_log_likelihood(out, x)
        return gaussian_log_likelihood(out, self.decoder_logvar(), x)

    def forward(self, x, generator=None):
        """One reparameterised pass: ``(decoder output, {"mu", "logvar", "z"})``."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar, generator)
        return self.decode_logits(z), {"mu": mu, "logvar": logvar, "z": z}

    def elbo(self, x, eps):
        """ELBO of each row with the closed-form KL (Kingma & Welling 2014, eq. 10).

        ``eps`` (shape (n, n_components)) is the standard normal draw of the single sample
        ``z = mu + std * eps`` of each row.
        """
        mu, logvar = self.posterior(x)
        z = mu + torch.exp(0.5 * logvar) * eps
        return -negative_elbo(self.log_likelihood(x, self.decode_logits(z)), mu, logvar)

    def importance_weighted(self, x, eps, max_elements=2**22):
        """IWAE bound of each row of ``x`` from the standard normal draws ``eps`` (n, k, d).

        The decoder runs on chunks of the ``k`` draws so that at most about ``max_elements``
        output values are alive at once.
        """
        mu, logvar = self.posterior(x)
        mu, logvar, x = mu.unsqueeze(1), logvar.unsqueeze(1), x.unsqueeze(1)
        std = torch.exp(0.5 * logvar)
        chunk = max(1, max_elements // max(1, x.shape[0] * x.shape[-1]))
        log_w = []
        for e in eps.split(chunk, dim=1):
            z = mu + std * e  # (n, chunk, d)
            ll = self.log_likelihood(x, self.decode_logits(z))
            # log w = log p(x|z) + log p(z) - log q(z|x)   (Burda et al. 2016, eq. 8)
            log_w.append(ll + log_normal(z) - log_normal(z, mu, logvar))
        return importance_weighted_bound(torch.cat(log_w, dim=1))
