"""Torch building blocks of skae: modules, activations, losses and penalties.

Nothing in :mod:`skae.nn` depends on numpy or scikit-learn; estimators in :mod:`skae` wrap them.
"""

from skae.nn._autoencoder import Center, MLPAutoencoder
from skae.nn._autorec import AutoRecModule, masked_squared_error
from skae.nn._blocks import ACTIVATIONS, init_linear_, make_activation, make_mlp
from skae.nn._losses import LOSSES, cross_entropy_loss, reconstruction_loss, squared_loss
from skae.nn._penalties import (
    CORRUPTIONS,
    SPARSITY_PENALTIES,
    contractive_penalty_closed_form,
    contractive_penalty_exact,
    gaussian_noise,
    jacobian_frobenius_sq,
    kl_sparsity,
    l1_sparsity,
    masking_noise,
    salt_and_pepper_noise,
)
from skae.nn._recommenders import (
    CDAEModule,
    MultDAEModule,
    MultVAEModule,
    inverted_dropout,
    multinomial_log_likelihood,
)
from skae.nn._variational import (
    LIKELIHOODS,
    VariationalMLP,
    bernoulli_log_likelihood,
    gaussian_kl,
    gaussian_log_likelihood,
    importance_weighted_bound,
    log_normal,
    negative_elbo,
    reparameterize,
)

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
    "ACTIVATIONS",
    "CORRUPTIONS",
    "LOSSES",
    "SPARSITY_PENALTIES",
    "AutoRecModule",
    "CDAEModule",
    "Center",
    "MultDAEModule",
    "MultVAEModule",
    "inverted_dropout",
    "multinomial_log_likelihood",
    "MLPAutoencoder",
    "contractive_penalty_closed_form",
    "contractive_penalty_exact",
    "cross_entropy_loss",
    "gaussian_noise",
    "init_linear_",
    "jacobian_frobenius_sq",
    "kl_sparsity",
    "l1_sparsity",
    "make_activation",
    "make_mlp",
    "masked_squared_error",
    "masking_noise",
    "reconstruction_loss",
    "salt_and_pepper_noise",
    "squared_loss",
]
