"""The hand-written backward pass is taken only where it covers every trainable parameter."""

import warnings

import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from torch.nn.utils import parametrizations

from skae import Autoencoder
from skae.autoencoders._autoencoder import Autoencoder as _Autoencoder
from skae.nn import MLPAutoencoder


def _refit_with(parametrize, X, monkeypatch=None):
    """Fit a warm-start Autoencoder, reparametrise its first layer, refit. Returns the layer's
    parametrization parameters before and after the refit, and the estimator. With
    ``monkeypatch`` the refit is forced through autograd (the reference)."""
    ae = Autoencoder(4, hidden_layer_sizes=(8,), max_iter=2, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
        with torch.random.fork_rng():  # spectral_norm draws its power-iteration start
            torch.manual_seed(0)
            parametrize(ae.module_.encoder_layers[0])
        originals = dict(ae.module_.encoder_layers[0].parametrizations.weight.named_parameters())
        before = {name: p.detach().clone() for name, p in originals.items()}
        if monkeypatch is not None:
            monkeypatch.setattr(_Autoencoder, "_backprop_plan", lambda self, module: None)
        ae.fit(X)
        if monkeypatch is not None:
            monkeypatch.undo()
    after = dict(ae.module_.encoder_layers[0].parametrizations.weight.named_parameters())
    return before, after, ae


@pytest.mark.parametrize("parametrize, names", [
    (parametrizations.weight_norm, {"original0", "original1"}),  # magnitude g, direction v
    (parametrizations.spectral_norm, {"original"}),
])
def test_parametrized_layer_trains_in_warm_start_refit(parametrize, names, digits,
                                                       monkeypatch):
    X = digits[0][:300]
    before, after, ae = _refit_with(parametrize, X)
    assert set(before) == names
    for name in names:
        assert not torch.equal(before[name], after[name]), f"{name} did not change"
    assert len(ae.loss_curve_) == 4
    # And the refit is the one autograd computes: the same weights and losses.
    _, _, reference = _refit_with(parametrize, X, monkeypatch)
    for (name, a), b in zip(ae.module_.named_parameters(), reference.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    torch.testing.assert_close(ae.loss_curve_, reference.loss_curve_, rtol=1e-5, atol=0)


def _written(plan):
    """The parameters whose gradients the hand-written pass sets, from its plan."""
    weights, biases, _ = plan
    return {param for _, param, _ in weights} | set(biases)


@pytest.mark.parametrize("tied", [False, True])
def test_plan_writes_every_parameter(tied):
    module = MLPAutoencoder(6, (5, 4), 3, tied_weights=tied)
    plan = module.backprop_plan()
    assert plan is not None
    assert _written(plan) == set(module.parameters())


def test_uncovered_trainable_parameter_keeps_autograd():
    module = MLPAutoencoder(6, (4,), 2)
    module.scale = torch.nn.Parameter(torch.ones(2))  # e.g. an extension's extra parameter
    assert module.backprop_plan() is None
    module.scale.requires_grad_(False)  # a frozen one needs no gradient
    assert module.backprop_plan() is not None


def test_bias_removed_keeps_autograd():
    module = MLPAutoencoder(6, (4,), 2)
    module.encoder_layers[1].bias = None
    assert module.backprop_plan() is None


def test_unknown_submodule_keeps_autograd():
    module = MLPAutoencoder(6, (4,), 2)
    module.dropout = torch.nn.Dropout(0.5)  # no parameters, but not a module the pass knows
    assert module.backprop_plan() is None


@pytest.mark.parametrize("parametrize", [parametrizations.weight_norm,
                                         parametrizations.spectral_norm,
                                         parametrizations.orthogonal])
def test_parametrized_layer_keeps_autograd(parametrize):
    module = MLPAutoencoder(6, (4,), 2, tied_weights=True)
    parametrize(module.encoder_layers[0])
    assert module.backprop_plan() is None


@pytest.mark.parametrize("register", [
    lambda m: m.encoder_layers[1].register_forward_pre_hook(lambda *args: None),
    lambda m: m.encoder_layers[0].register_full_backward_hook(lambda *args: None),
    lambda m: m.encoder_layers[0].weight.register_hook(lambda grad: grad * 2),
    lambda m: m.encoder_layers[0].bias.register_post_accumulate_grad_hook(lambda p: None),
    lambda m: torch.nn.modules.module.register_module_forward_hook(lambda *args: None),
], ids=["forward-pre", "module-backward", "tensor", "post-accumulate", "global-forward"])
def test_hook_keeps_autograd(register):
    module = MLPAutoencoder(6, (4,), 2)
    handle = register(module)
    try:
        assert module.backprop_plan() is None
    finally:
        handle.remove()
    assert module.backprop_plan() is not None
