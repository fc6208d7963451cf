"""Networks that fill in missing entries, and their objectives on observed entries (torch only).

Both networks read the observed values *and* the observation mask: missing entries are zeros
in the input and the mask, concatenated to it, tells a zero that was observed from one that
was not (as GAIN's generator does, Yoon, Jordon & van der Schaar, ICML 2018, sec. 3). Every
objective counts observed entries only; the mask is an input of the loss, never a NaN trick.
"""

import math

import torch
from torch import nn

from skae._docs import fill_doc
from skae.nn._blocks import init_linear_, make_activation, make_mlp
from skae.nn._variational import importance_weighted_bound, log_normal

__all__ = [
    "MaskedAutoencoder",
    "MaskedVAE",
    "masked_gaussian_log_likelihood",
]

_LOG_2PI = math.log(2.0 * math.pi)
# Clamp of the encoder's log-variance, as in skae.nn._variational.
_LOGVAR_MIN, _LOGVAR_MAX = -20.0, 10.0


def _masked_input(x, mask):
    """``[x * mask, mask]``: the observed values (zeros elsewhere) and where they are."""
    return torch.cat([x * mask, mask], dim=-1)


class _StackedLinear(nn.Module):
    """``n_networks`` independent ``Linear(n_in, n_out)`` layers applied side by side to an
    input of shape ``(n_networks, n, n_in)`` with one batched matrix product; each initialised
    as :func:`skae.nn._blocks.init_linear_` initialises one layer (Glorot-uniform, zero bias)."""

    def __init__(self, n_networks, n_in, n_out, activation="relu", generator=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_networks, n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_networks, 1, n_out))
        factor = 2.0 if activation == "sigmoid" else 6.0
        bound = math.sqrt(factor / (n_in + n_out)) if n_in + n_out else 0.0
        with torch.no_grad():
            nn.init.uniform_(self.weight, -bound, bound, generator=generator)

    @property
    def in_features(self):
        return self.weight.shape[1]

    @property
    def out_features(self):
        return self.weight.shape[2]

    def forward(self, x):
        return torch.baddbmm(self.bias, x, self.weight)


def _stacked_mlp(n_networks, sizes, activation, generator):
    """``n_networks`` MLPs ``sizes[0] -> ... -> sizes[-1]`` side by side, ``activation``
    after every layer but the last (identity)."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        act = "identity" if last else activation
        layers.append(_StackedLinear(n_networks, n_in, n_out, act, generator))
        if act != "identity":
            layers.append(make_activation(act))
    return nn.Sequential(*layers)



class _SideBySide(nn.Module):
    """``n_networks`` encoder-decoder pairs ``n_inputs -> hidden_layer_sizes -> n_components ->
    reversed hidden_layer_sizes -> n_features``, side by side: the body of
    :class:`MaskedAutoencoder` and :class:`~skae.nn._outliers.AutoencoderEnsemble`."""

    def __init__(self, n_inputs, n_features, hidden_layer_sizes, n_components, activation,
                 n_networks, generator):
        super().__init__()
        hidden = [int(s) for s in hidden_layer_sizes]
        k = int(n_networks)
        self.encoder = _stacked_mlp(k, [int(n_inputs), *hidden, int(n_components)],
                                    activation, generator)
        self.decoder = _stacked_mlp(k, [int(n_components), *hidden[::-1], int(n_features)],
                                    activation, generator)

    @property
    def n_networks(self):
        return self.encoder[0].weight.shape[0]


@fill_doc(code_size="Size of the code.", networks="Number of autoencoders side by side.")
class MaskedAutoencoder(_SideBySide):
    """Denoising autoencoders ``[x * m, m] -> code -> x_hat`` for imputation, ``n_networks``
    of them side by side.

    Each encoder maps the observed values and their mask (``2 n_features`` inputs) through
    ``hidden_layer_sizes`` to a linear code of ``n_components`` units; its decoder mirrors it
    back to ``n_features`` outputs with an identity output layer (the data are standardised).
    The networks share nothing but their input: each has its own initial weights and, in
    training, its own hidden entries, and :meth:`predict` averages them (an ensemble, whose
    average has a lower variance than one network: Hansen & Salamon, IEEE TPAMI 1990;
    Lakshminarayanan et al., NeurIPS 2017). They run as one batched matrix product per layer:
    one step of the optimiser for all of them.

    Parameters
    ----------
    {side_by_side_parameters}
    """

    def __init__(self, n_features, hidden_layer_sizes, n_components, activation="relu",
                 n_networks=1, generator=None):
        # A linear code on nonlinear hidden layers, as in Hinton & Salakhutdinov (Science
        # 2006): no code unit can die, and imputations varied less between random states.
        super().__init__(2 * int(n_features), n_features, hidden_layer_sizes, n_components,
                         activation, n_networks, generator)

    def forward(self, x, mask):
        """Each network's reconstruction of every entry from the entries where ``mask`` is 1.

        ``x`` and ``mask`` have shape ``(n, n_features)`` (the same input for every network)
        or ``(n_networks, n, n_features)``; returns shape ``(n_networks, n, n_features)``.
        """
        h = _masked_input(x, mask)
        if h.dim() == 2:
            h = h.unsqueeze(0).expand(self.n_networks, -1, -1)
        return self.decoder(self.encoder(h))

    def predict(self, x, mask):
        """The networks' average reconstruction, of shape ``(n, n_features)``."""
        return self(x, mask).mean(dim=0)


def masked_gaussian_log_likelihood(mean, logvar, x, mask):
    """``log N(x_o; mean_o, diag(exp(logvar_o)))``: the Gaussian log-density of the observed
    entries only (``mask`` 1), summed over features; any leading shape broadcasts."""
    log_density = -0.5 * ((x - mean).square() * torch.exp(-logvar) + logvar + _LOG_2PI)
    return (log_density * mask).sum(dim=-1)


class MaskedVAE(nn.Module):
    """A variational autoencoder of incomplete data, trained by the MIWAE bound.

    Encoder ``q(z | x_o) = N(mu, diag(sigma^2))`` from ``[x * m, m]``, a standard normal prior,
    and a factorised Gaussian decoder ``p(x | z)`` with a learned per-feature variance (MIWAE
    uses a Student's t; a Gaussian is its limit of infinite degrees of freedom). Because the
    decoder factorises, ``p(x_o | z)`` is the product over observed entries only, which is what
    makes the bound computable on incomplete data (Mattei & Frellsen, "MIWAE: deep generative
    modelling and imputation of incomplete data sets", ICML 2019, sec. 2.1-2.2).

    Parameters
    ----------
    n_features : int
        Number of features of a sample.
    hidden_layer_sizes : sequence of int
        Sizes of the encoder's hidden layers; the decoder uses them in reverse order.
    n_components : int
        Size of the latent code ``z``.
    activation : str, default="relu"
        Activation of the hidden layers.
    var_floor : float, default=1e-2
        Smallest variance of the decoder (the data are standardised, so a share of their unit
        variance): it keeps the density bounded on features the model can predict exactly.
    generator : torch.Generator, optional
        Source of randomness for the initial weights.
    """

    def __init__(self, n_features, hidden_layer_sizes, n_components, activation="relu",
                 var_floor=1e-2, generator=None):
        super().__init__()
        hidden = [int(s) for s in hidden_layer_sizes]
        sizes = [2 * int(n_features), *hidden]
        self.encoder_trunk = (make_mlp(sizes, activation, generator=generator)
                              if hidden else nn.Identity())
        self.mu_head = init_linear_(nn.Linear(sizes[-1], n_components), "identity", generator)
        self.logvar_head = init_linear_(nn.Linear(sizes[-1], n_components), "identity",
                                        generator)
        self.decoder = make_mlp([int(n_components), *hidden[::-1], int(n_features)],
                                activation, out_activation="identity", generator=generator)
        # Standardised data: the decoder starts at unit variance.
        self.out_logvar = nn.Parameter(torch.zeros(int(n_features)))
        self.register_buffer("out_logvar_min", torch.tensor(math.log(var_floor)))

    def posterior(self, x, mask):
        """``(mu, logvar)`` of ``q(z | x_o)``; the log-variance is clamped for stability."""
        h = self.encoder_trunk(_masked_input(x, mask))
        return self.mu_head(h), self.logvar_head(h).clamp(_LOGVAR_MIN, _LOGVAR_MAX)

    def decoder_logvar(self):
        """Per-feature log-variance of the decoder, floored."""
        return torch.maximum(self.out_logvar, self.out_logvar_min)

    def importance_weights(self, x, mask, eps, scored=None):
        """Log importance weights and decoder means of ``k`` latent draws per row.

        ``eps`` (shape ``(n, k, n_components)``) are the standard normal draws of
        ``z_j = mu + sigma * eps_j``. Returns ``log_w`` of shape ``(n, k)``, ``log w_j =
        log p(x_o | z_j) + log p(z_j) - log q(z_j | x_o)`` (Mattei & Frellsen 2019, eq. 4),
        and the decoder means ``E[x | z_j]`` of shape ``(n, k, n_features)``. The encoder
        reads the entries where ``mask`` is 1; the likelihood counts those where ``scored``
        is 1 (default ``mask``).
        """
        mu, logvar = self.posterior(x, mask)
        mu, logvar = mu.unsqueeze(1), logvar.unsqueeze(1)
        z = mu + torch.exp(0.5 * logvar) * eps
        mean = self.decoder(z)
        scored = mask if scored is None else scored
        ll = masked_gaussian_log_likelihood(mean, self.decoder_logvar(), x.unsqueeze(1),
                                            scored.unsqueeze(1))
        return ll + log_normal(z) - log_normal(z, mu, logvar), mean

    def bound(self, x, mask, eps, scored=None):
        """The MIWAE bound ``log (1/k) sum_j w_j`` on ``log p(x_o)`` of each row, in nats
        (Mattei & Frellsen 2019, eq. 4; Burda et al., ICLR 2016, eq. 8, on observed entries).

        With ``scored`` (entries scored, a superset of the encoder's ``mask``) the encoder sees
        fewer entries than the likelihood scores: the denoising variational bound of Im et al.
        ("Denoising criterion for variational auto-encoding framework", AAAI 2017, eq. 6).
        """
        log_w, _ = self.importance_weights(x, mask, eps, scored)
        return importance_weighted_bound(log_w)

    def conditional_mean(self, x, mask, eps):
        """Self-normalised importance estimate of ``E[x | x_o]`` from the draws ``eps``:
        ``sum_j w_j E[x | z_j] / sum_j w_j`` (Mattei & Frellsen 2019, eq. 8)."""
        log_w, mean = self.importance_weights(x, mask, eps)
        return (torch.softmax(log_w, dim=1).unsqueeze(-1) * mean).sum(dim=1)

    def sample(self, x, mask, eps, gumbel, noise):
        """One draw of ``x`` from ``p(x | x_o)`` by sampling importance resampling.

        Of the ``k`` latent draws (``eps``, ``(n, k, n_components)``) one is picked with
        probability proportional to its weight, by the Gumbel-max trick on ``log w + gumbel``
        (``gumbel``, ``(n, k)``, standard Gumbel draws), and ``x`` is drawn from the decoder at
        it with the standard normal ``noise`` (``(n, n_features)``) (Mattei & Frellsen 2019,
        sec. 4.2: multiple imputation by SIR).
        """
        log_w, mean = self.importance_weights(x, mask, eps)
        pick = torch.argmax(log_w + gumbel, dim=1)
        chosen = mean[torch.arange(mean.shape[0], device=mean.device), pick]
        return chosen + torch.exp(0.5 * self.decoder_logvar()) * noise
