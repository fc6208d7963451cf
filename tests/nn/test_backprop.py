"""The hand-written training step of the MLP autoencoder against autograd."""

import itertools
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from skae import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from skae.autoencoders._autoencoder import Autoencoder as _Autoencoder
from skae.nn import MLPAutoencoder, reconstruction_loss

CASES = list(itertools.product(
    ["relu", "sigmoid", "tanh", "identity"],  # hidden activation
    [None, "identity"],  # code activation (None: the hidden one)
    [False, True],  # tied weights
    ["squared", "cross_entropy"],
    [(), (7, 5)],  # hidden layers
))


@pytest.mark.parametrize("activation, code, tied, loss, hidden", CASES)
def test_gradients_match_autograd(activation, code, tied, loss, hidden):
    g = torch.Generator().manual_seed(1)
    target = torch.rand(13, 9, generator=g)
    x = target * (torch.rand(13, 9, generator=g) > 0.2)  # a corrupted input
    out = "sigmoid" if loss == "cross_entropy" else ("tanh" if activation == "tanh" else
                                                     "identity")
    module = MLPAutoencoder(9, hidden, 3, activation=activation, code_activation=code,
                            out_activation=out, tied_weights=tied, mean=target.mean(0),
                            generator=g)
    logits, _ = module(x)
    expected = reconstruction_loss(loss, logits, target, module._out_act, reduction="mean")
    expected.backward()
    expected_grads = [p.grad.clone() for p in module.parameters()]
    for p in module.parameters():
        p.grad = None

    value = module.loss_and_gradients_(x, target, loss)

    assert not value.requires_grad
    torch.testing.assert_close(value, expected.detach(), rtol=1e-6, atol=0)
    for (name, p), want in zip(module.named_parameters(), expected_grads):
        torch.testing.assert_close(p.grad, want, rtol=1e-5, atol=1e-7, msg=name)


def test_frozen_parameters_get_no_gradient():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 6, generator=g)
    module = MLPAutoencoder(6, (4,), 2, mean=x.mean(0), generator=g)
    module.encoder_layers[0].weight.requires_grad_(False)
    module.loss_and_gradients_(x, x, "squared")
    assert module.encoder_layers[0].weight.grad is None
    assert all(p.grad is not None for p in module.parameters() if p.requires_grad)


def _fit(est, X, by_hand, monkeypatch):
    # calls: per epoch, whether the steps took the hand-written gradients
    calls = []
    original = _Autoencoder._backprop_plan

    def spy(self, module):
        plan = original(self, module) if by_hand else None
        calls.append(plan is not None)
        return plan

    monkeypatch.setattr(_Autoencoder, "_backprop_plan", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    monkeypatch.undo()
    return est, calls


@pytest.mark.parametrize("make", [
    lambda: Autoencoder(8, hidden_layer_sizes=(16,), max_iter=3, random_state=0),
    lambda: Autoencoder(8, loss="cross_entropy", tied_weights=True, activation="sigmoid",
                        max_iter=3, random_state=0),
    lambda: DenoisingAutoencoder(8, noise_level=0.3, max_iter=3, random_state=0),
])
def test_fit_by_hand_matches_autograd_fit(make, digits, monkeypatch):
    X = digits[0][:600]
    by_hand, calls = _fit(make(), X, True, monkeypatch)
    assert len(calls) == 3 and all(calls)  # every epoch's steps took the hand-written path
    autograd, calls = _fit(make(), X, False, monkeypatch)
    assert len(calls) == 3 and not any(calls)
    for a, b in zip(by_hand.module_.parameters(), autograd.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(by_hand.loss_curve_, autograd.loss_curve_, rtol=1e-5)


def test_penalised_loss_keeps_autograd(digits, monkeypatch):
    # A penalty term needs the graph: the sparse autoencoder never takes the hand-written path.
    _, calls = _fit(SparseAutoencoder(8, max_iter=1, random_state=0), digits[0][:300], True,
                    monkeypatch)
    assert calls and not any(calls)


def test_replaced_activation_or_hook_keeps_autograd():
    module = MLPAutoencoder(6, (4,), 2)
    assert module.backprop_plan() is not None
    module._code_act = torch.nn.Sequential(module._code_act)  # e.g. an extension's top-k code
    assert module.backprop_plan() is None
    with pytest.raises(ValueError, match="not the stock"):
        module.loss_and_gradients_(torch.zeros(2, 6), torch.zeros(2, 6), "squared")
    module = MLPAutoencoder(6, (4,), 2)
    module.encoder_layers[1].register_forward_hook(lambda *args: None)
    assert module.backprop_plan() is None
