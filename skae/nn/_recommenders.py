"""Torch modules and losses of the top-N autoencoder recommenders (CDAE, Mult-DAE, Mult-VAE).

Torch only: modules take a batch of user rows of the user x item interaction matrix and return
``(item_logits, aux)``; the losses are pure tensor functions that the estimators combine.
"""

import torch
import torch.nn.functional as F
from torch import nn

from skae.nn._blocks import init_linear_, inverted_dropout, make_activation
from skae.nn._variational import reparameterize

__all__ = [
    "CDAEModule",
    "MultDAEModule",
    "MultVAEModule",
    "inverted_dropout",
    "multinomial_log_likelihood",
]


def multinomial_log_likelihood(logits, x):
    """``sum_i x_ui log softmax(f(z_u))_i`` of each row: Liang et al. (2018), eq. 2.

    Unlike a Gaussian or logistic likelihood, the multinomial one makes items compete for a
    fixed probability mass, which suits ranking (sec. 2.1 of the paper).
    """
    return (F.log_softmax(logits, dim=1) * x).sum(dim=1)


def _mlp(sizes, activation, generator):
    """Linear layers ``sizes[0] -> ... -> sizes[-1]`` (Glorot init), no final activation."""
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    return nn.ModuleList(init_linear_(nn.Linear(a, b), activation, generator) for a, b in pairs)


def _run(layers, h, act):
    """Apply ``layers`` with ``act`` between them (not after the last one)."""
    for i, layer in enumerate(layers):
        h = layer(h)
        if i < len(layers) - 1:
            h = act(h)
    return h


class CDAEModule(nn.Module):
    """Collaborative denoising autoencoder: ``z_u = h(W^T y_u + V_u + b)``, ``f(W' z_u + b')``.

    Wu et al. (WSDM 2016), eq. 5-6: one hidden layer whose input adds a learned vector ``V_u`` per
    training user (the "user node"). A row without a user index (a user not seen in training)
    gets the mean of the learned user vectors: the offset of an average training user.

    Parameters
    ----------
    n_items, n_users, n_components : int
    activation : str
        ``h``, the hidden activation.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, n_items, n_users, n_components, activation="sigmoid", generator=None):
        super().__init__()
        self.encoder = init_linear_(nn.Linear(n_items, n_components), activation, generator)
        self.decoder = init_linear_(nn.Linear(n_components, n_items), "sigmoid", generator)
        # Small random user vectors: a zero start would give every user the same gradient path.
        self.user_embedding = nn.Embedding(n_users, n_components)
        with torch.no_grad():
            self.user_embedding.weight.normal_(0.0, 0.01, generator=generator)
        self._act = make_activation(activation)

    def encode(self, x, users=None):
        """Hidden representation ``z_u``; ``users`` are row indices of training users or None."""
        if users is None:
            user_vec = self.user_embedding.weight.mean(dim=0)
        else:
            user_vec = self.user_embedding(users)
        return self._act(self.encoder(x) + user_vec)

    def forward(self, x, users=None):
        """Return ``(item_logits, {"code": z})``; the sigmoid of the logits is ``y_hat``."""
        code = self.encode(x, users)
        return self.decoder(code), {"code": code}


class MultDAEModule(nn.Module):
    """Mult-DAE of Liang et al. (2018): l2-normalised input, MLP encoder and decoder, item logits.

    Parameters
    ----------
    n_items : int
    hidden_layer_sizes : sequence of int
        Encoder layers between the items and the code (the paper's 600); mirrored by the decoder.
    n_components : int
        Size of the code (the paper's 200).
    activation : str
        Hidden activation (``tanh`` in the paper).
    generator : torch.Generator, optional
    """

    def __init__(self, n_items, hidden_layer_sizes, n_components, activation="tanh",
                 generator=None):
        super().__init__()
        sizes = [int(n_items), *map(int, hidden_layer_sizes), int(n_components)]
        self.encoder_layers = _mlp(sizes, activation, generator)
        self.decoder_layers = _mlp(sizes[::-1], activation, generator)
        self._act = make_activation(activation)

    def encode(self, x):
        """The code of each (already normalised and corrupted) input row."""
        return self._act(_run(self.encoder_layers, x, self._act))

    def decode_logits(self, code):
        """Unnormalised log-probabilities of the items."""
        return _run(self.decoder_layers, code, self._act)

    def forward(self, x):
        code = self.encode(x)
        return self.decode_logits(code), {"code": code}


class MultVAEModule(nn.Module):
    """Mult-VAE of Liang et al. (2018): Gaussian encoder ``q(z | x)``, multinomial decoder.

    The last encoder layer outputs ``(mu, logvar)``; during training ``z = mu + eps * sigma``
    (reparameterisation, Kingma & Welling 2014), otherwise ``z = mu`` as in the paper's
    prediction rule (sec. 2.4).
    """

    def __init__(self, n_items, hidden_layer_sizes, n_components, activation="tanh",
                 generator=None):
        super().__init__()
        sizes = [int(n_items), *map(int, hidden_layer_sizes)]
        self.n_components = int(n_components)
        self.encoder_layers = _mlp([*sizes, 2 * self.n_components], activation, generator)
        self.decoder_layers = _mlp([self.n_components, *sizes[::-1]], activation, generator)
        self._act = make_activation(activation)

    def encode(self, x):
        """``(mu, logvar)`` of ``q(z | x)``."""
        out = _run(self.encoder_layers, x, self._act)
        return out[:, : self.n_components], out[:, self.n_components:]

    def decode_logits(self, z):
        return _run(self.decoder_layers, z, self._act)

    def forward(self, x, generator=None):
        """``(item_logits, {"mu", "logvar", "code"})``; sample ``z`` only when ``generator``."""
        mu, logvar = self.encode(x)
        z = mu if generator is None else reparameterize(mu, logvar, generator)
        return self.decode_logits(z), {"mu": mu, "logvar": logvar, "code": z}
