"""Regularisation terms and input corruptions of the regularised autoencoders, as tensor functions.

Torch only. Every penalty returns a scalar tensor already averaged over the minibatch, so that it
adds to the minibatch mean of the reconstruction loss; every corruption takes an explicit
``torch.Generator`` so that noise is reproducible without seeding global state.
"""

import torch

__all__ = [
    "CORRUPTIONS",
    "SPARSITY_PENALTIES",
    "activation_derivative",
    "contractive_penalty_closed_form",
    "contractive_penalty_exact",
    "gaussian_noise",
    "jacobian_frobenius_sq",
    "kl_sparsity",
    "l1_sparsity",
    "masking_noise",
    "salt_and_pepper_noise",
]

_EPS = 1e-6


# -- sparsity -------------------------------------------------------------------------------
def l1_sparsity(code):
    """``Omega(h) = sum_k |h_k|``, averaged over the rows of ``code``.

    The sparsity penalty of Goodfellow, Bengio & Courville, *Deep Learning* (2016), eq. 14.2
    (the Laplace-prior view of sec. 14.2.1).
    """
    return code.abs().sum(dim=1).mean()


def kl_sparsity(code, target):
    """``sum_j KL(rho || rho_hat_j)`` between a target and the batch mean activations.

    ``rho_hat_j`` is the mean activation of code unit ``j`` over the minibatch; units must lie in
    (0, 1) (sigmoid codes). Ng, *Sparse autoencoder*, CS294A lecture notes (2011), sec. 2.3:
    ``KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat))``.
    """
    rho_hat = code.mean(dim=0).clamp(_EPS, 1 - _EPS)
    rho = torch.as_tensor(target, dtype=code.dtype, device=code.device)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.sum()


SPARSITY_PENALTIES = {"l1": l1_sparsity, "kl": kl_sparsity}


# -- contraction ----------------------------------------------------------------------------
def activation_derivative(name, h):
    """``f'(a)`` of activation ``name`` expressed through its output ``h = f(a)``."""
    if name == "sigmoid":
        return h * (1 - h)
    if name == "tanh":
        return 1 - h.square()
    if name == "relu":
        return (h > 0).to(h.dtype)
    if name == "identity":
        return torch.ones_like(h)
    raise ValueError(f"No closed-form derivative for activation {name!r}.")


def contractive_penalty_closed_form(code, weight, activation="sigmoid"):
    """``||J_f(x)||_F^2`` of a single layer ``h = f(W x + b)``, averaged over the batch.

    The Jacobian is ``diag(f'(a)) W``, so its squared Frobenius norm is
    ``sum_j f'(a_j)^2 sum_i W_ji^2``; for a sigmoid ``f'(a_j) = h_j (1 - h_j)``
    (Rifai et al., ICML 2011, eq. 6).

    Parameters
    ----------
    code : Tensor of shape (n_samples, n_components)
        The layer's output ``h``.
    weight : Tensor of shape (n_components, n_features)
        ``W``.
    activation : str
        Name of ``f``.
    """
    row_norms = weight.square().sum(dim=1)  # sum_i W_ji^2, one per code unit
    return (activation_derivative(activation, code).square() * row_norms).sum(dim=1).mean()


def jacobian_frobenius_sq(fn, x):
    """``||J_fn(x_n)||_F^2`` for each row ``x_n`` of ``x``, exactly, by reverse-mode autodiff.

    ``fn`` maps a batch ``(n, d)`` to ``(n, k)`` row by row. The per-sample Jacobians come from
    ``torch.func.vmap(torch.func.jacrev(...))`` (``k`` vector-Jacobian products per sample,
    vectorised); the result stays differentiable with respect to ``fn``'s parameters, so it can
    be minimised.
    """
    from torch.func import jacrev, vmap

    def single(row):
        return fn(row.unsqueeze(0)).squeeze(0)

    jac = vmap(jacrev(single))(x)  # (n, k, d)
    return jac.square().sum(dim=(1, 2))


def contractive_penalty_exact(fn, x):
    """Batch mean of :func:`jacobian_frobenius_sq`: the contractive penalty of any encoder."""
    return jacobian_frobenius_sq(fn, x).mean()


# -- corruption -----------------------------------------------------------------------------
def _uniform(x, generator):
    # Drawn where the generator lives (the CPU), then moved: a CPU generator cannot fill a CUDA
    # tensor, and this keeps the noise identical across devices for a given seed.
    return torch.rand(x.shape, generator=generator, dtype=x.dtype).to(x.device)


def gaussian_noise(x, level, generator):
    """Additive isotropic Gaussian noise ``x + level * N(0, I)``.

    Vincent et al., JMLR 2010, sec. 4.1.
    """
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    return x + level * noise


def masking_noise(x, level, generator):
    """Set a random fraction ``level`` of the entries to 0 (Vincent et al., JMLR 2010, sec. 4.1)."""
    return x.masked_fill(_uniform(x, generator) < level, 0.0)


def salt_and_pepper_noise(x, level, generator, low=0.0, high=1.0):
    """Set a random fraction ``level`` of the entries to ``low`` or ``high`` by a fair coin flip.

    Vincent et al., JMLR 2010, sec. 4.1: corrupted entries take the minimum or maximum possible
    value. ``low``/``high`` are scalars or per-feature tensors.
    """
    hit = _uniform(x, generator) < level
    salt = _uniform(x, generator) < 0.5
    low = torch.as_tensor(low, dtype=x.dtype, device=x.device).expand_as(x)
    high = torch.as_tensor(high, dtype=x.dtype, device=x.device).expand_as(x)
    return torch.where(hit, torch.where(salt, high, low), x)


CORRUPTIONS = {
    "gaussian": gaussian_noise,
    "masking": masking_noise,
    "salt_and_pepper": salt_and_pepper_noise,
}
