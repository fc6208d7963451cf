"""``ContractiveAutoencoder``: a smaller encoder Jacobian than a plain autoencoder's."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from skae import Autoencoder, ContractiveAutoencoder
from skae.nn import contractive_penalty_closed_form, jacobian_frobenius_sq

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _mean_jacobian_norm(est, X):
    x = torch.tensor(X, dtype=torch.float32)
    with torch.no_grad():
        return jacobian_frobenius_sq(est.module_.encode, x).sqrt().mean().item()


def test_contraction_lowers_the_jacobian_norm(digits):
    X, _ = digits
    X_tr, X_te = train_test_split(X, test_size=0.3, random_state=0)
    kw = dict(n_components=32, activation="sigmoid", max_iter=50, random_state=0)
    plain = Autoencoder(**kw).fit(X_tr)
    cae = ContractiveAutoencoder(contraction_weight=0.1, **kw).fit(X_tr)
    assert _mean_jacobian_norm(cae, X_te) < 0.5 * _mean_jacobian_norm(plain, X_te)


def test_closed_form_agrees_with_exact_jacobian_on_fitted_sigmoid_layer(digits):
    X, _ = digits
    cae = ContractiveAutoencoder(n_components=6, max_iter=3, random_state=0).fit(X)
    x = torch.tensor(X[:100], dtype=torch.float32)
    module = cae.module_
    closed = contractive_penalty_closed_form(module.encode(x), module.encoder_layers[0].weight,
                                             "sigmoid")
    exact = jacobian_frobenius_sq(module.encode, x).mean()
    torch.testing.assert_close(closed, exact, rtol=1e-5, atol=1e-7)
    # and the estimator's own penalty is that number times the weight
    _, aux = module(x)
    penalty = cae._penalty(module, x, aux)
    torch.testing.assert_close(penalty, cae.contraction_weight * exact, rtol=1e-5, atol=1e-7)


def test_closed_form_uses_the_code_activation(digits):
    # A single-layer encoder's only activation is the code's: with activation="sigmoid" and
    # code_activation="tanh" the penalty must use tanh's derivative.
    X, _ = digits
    cae = ContractiveAutoencoder(n_components=6, activation="sigmoid", code_activation="tanh",
                                 max_iter=3, random_state=0).fit(X)
    x = torch.tensor(X[:100], dtype=torch.float32)
    _, aux = cae.module_(x)
    exact = jacobian_frobenius_sq(cae.module_.encode, x).mean()
    torch.testing.assert_close(cae._penalty(cae.module_, x, aux),
                               cae.contraction_weight * exact, rtol=1e-5, atol=1e-7)


def test_deep_encoder_uses_exact_jacobian(digits):
    X, _ = digits
    X = X[:300]
    kw = dict(n_components=4, hidden_layer_sizes=(16,), max_iter=15, random_state=0)
    cae = ContractiveAutoencoder(contraction_weight=1.0, **kw).fit(X)
    free = ContractiveAutoencoder(contraction_weight=0.0, **kw).fit(X)
    x = torch.tensor(X, dtype=torch.float32)
    _, aux = cae.module_(x)
    expected = jacobian_frobenius_sq(cae.module_.encode, x).mean()
    torch.testing.assert_close(cae._penalty(cae.module_, x, aux), expected)
    assert _mean_jacobian_norm(cae, X) < _mean_jacobian_norm(free, X)


def test_negative_weight_is_rejected(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="'contraction_weight' parameter"):
        ContractiveAutoencoder(contraction_weight=-0.1).fit(X)
    assert np.isfinite(ContractiveAutoencoder(max_iter=1).fit(X[:10]).loss_curve_[0])
