"""Torch parts of the hybrid recommenders: marginalized denoising layers and CDL's network.

- :func:`marginalized_denoising_mapping` and :func:`marginalized_denoising_features`: the
  marginalized denoising autoencoder (mDA) of Chen et al. (ICML 2012) and its stacked form
  (mSDA), in closed form: the expected reconstruction error over all corruptions of the
  input is minimised exactly, without sampling a single corrupted copy.
- :class:`CDLModule`: collaborative deep learning (Wang, Wang & Yeung, KDD 2015), a stacked
  denoising autoencoder on item content whose code is the prior mean of the item factors,
  with the user and item factors that closed-form steps update held as buffers.

Torch only: nothing here knows about numpy or scikit-learn.
"""

import torch
from torch import nn

from skae.nn._autoencoder import MLPAutoencoder

__all__ = ["CDLModule", "marginalized_denoising_features", "marginalized_denoising_mapping"]


def marginalized_denoising_mapping(x, level, ridge=1e-5):
    """The mDA mapping ``W`` that best reconstructs ``x`` from its corrupted copies, in closed form.

    Each input feature is dropped (set to 0) with probability ``level``; a constant
    bias feature is appended and never dropped. ``W`` minimises the expected squared error
    ``E ||x - [x~, 1] W||^2`` over the corruption, which depends only on the second moments
    ``S = [x, 1]^T [x, 1]`` (Chen et al., ICML 2012, eq. 4-6): with ``q`` the probability that
    a feature survives (``1 - level``, 1 for the bias),

    - ``E[x~^T x~]`` is ``S_ij q_i q_j`` off the diagonal and ``S_ii q_i`` on it,
    - ``E[x~^T x]`` is ``S_ij q_i``,

    and ``W = (E[x~^T x~] + ridge I)^-1 E[x~^T x]`` (the ridge, not applied to the bias, only
    keeps the system well posed, as in the paper's reference code).

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_features)
        Input rows (float64 advised: the Gram matrix is solved directly).
    level : float
        Probability in [0, 1) that a feature is dropped (the masking noise's level, as in
        :func:`skae.nn.masking_noise`).
    ridge : float, default=1e-5
        Added to the diagonal of the non-bias part of ``E[x~^T x~]``.

    Returns
    -------
    W : torch.Tensor of shape (n_features + 1, n_features)
        Reconstruction ``[x, 1] @ W``; the last row is the bias.
    """
    n, d = x.shape
    xb = torch.cat([x, torch.ones(n, 1, dtype=x.dtype, device=x.device)], dim=1)
    q = torch.full((d + 1,), 1.0 - level, dtype=x.dtype, device=x.device)
    q[-1] = 1.0
    scatter = xb.T @ xb
    expected_tt = scatter * torch.outer(q, q)
    expected_tt.diagonal().copy_(scatter.diagonal() * q)
    expected_tt.diagonal()[:d] += ridge
    expected_tx = scatter[:, :d] * q[:, None]
    return torch.linalg.solve(expected_tt, expected_tx)


def marginalized_denoising_features(x, mappings):
    """The representation of a marginalized stacked denoising autoencoder (mSDA).

    Layer ``t`` is ``h_t = tanh([h_{t-1}, 1] W_t)`` with ``h_0 = x`` (Chen et al., ICML 2012,
    sec. 3: each layer is an mDA fitted on the previous layer's output, followed by a
    squashing function); the representation is the concatenation ``[x, h_1, ..., h_L]``,
    as the paper feeds to the final predictor.

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_features)
    mappings : sequence of torch.Tensor
        ``W_1 .. W_L`` from :func:`marginalized_denoising_mapping`.

    Returns
    -------
    features : torch.Tensor of shape (n_samples, n_features * (L + 1))
    """
    parts, h = [x], x
    for w in mappings:
        h = torch.tanh(h @ w[:-1] + w[-1])
        parts.append(h)
    return torch.cat(parts, dim=1)


class CDLModule(nn.Module):
    """Collaborative deep learning's network: an SDAE on item content plus latent factors.

    The stacked denoising autoencoder ``sdae`` maps an item's (corrupted) content to a code
    ``theta_j`` of size ``n_components`` (the middle layer ``X_{L/2}`` of Wang et al. 2015) and
    reconstructs the clean content from it. The item factors ``v_j`` are tied to the codes
    (``v_j = theta_j + eps_j``) and, with the user factors ``u_i``, explain the interactions;
    both are buffers, updated in closed form between epochs, never by the optimizer, as is
    ``in_matrix``, which marks the items that have interactions.

    Parameters
    ----------
    n_content : int
        Width of the item content.
    hidden_layer_sizes : sequence of int
        Sizes of the SDAE's hidden layers between the content and the code.
    n_components : int
        Size of the code and of the latent factors (``K``).
    n_users, n_items : int
        Number of training users and items.
    activation : str
        Activation of the SDAE's hidden layers (the paper: sigmoid); the code is linear.
    generator : torch.Generator, optional
        Source of randomness for the initial weights.
    """

    def __init__(self, n_content, hidden_layer_sizes, n_components, n_users, n_items,
                 activation="sigmoid", generator=None):
        super().__init__()
        # A linear code (as Hinton & Salakhutdinov's, Science 2006): latent factors take both
        # signs, which a sigmoid code would forbid to the items scored from content alone.
        self.sdae = MLPAutoencoder(n_content, hidden_layer_sizes, n_components,
                                   activation=activation, out_activation="identity",
                                   code_activation="identity", generator=generator)
        self.register_buffer("user_factors", torch.zeros(n_users, n_components))
        self.register_buffer("item_factors", torch.zeros(n_items, n_components))
        # False for the items without any interaction in training: "out-of-matrix" items,
        # whose factors are their codes (Wang et al. 2015, sec. 3.3 and 5.4).
        self.register_buffer("in_matrix", torch.ones(n_items, dtype=torch.bool))

    def encode(self, content):
        """The code ``theta`` of each row of ``content`` (clean or corrupted)."""
        return self.sdae.encode(content)

    def forward(self, content):
        """Return ``(reconstruction, code)`` of the rows of ``content``."""
        code = self.sdae.encode(content)
        return self.sdae.decode(code), code
