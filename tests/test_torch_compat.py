"""The private torch names skae uses, and the public fallback of each: the fits that run on
the fallbacks equal those of the fast path to float32 precision."""

import io
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from torch.optim.optimizer import register_optimizer_step_pre_hook

from skae import Autoencoder
from skae.nn import MLPAutoencoder
from skae.utils import _torch_compat

ESTIMATORS = {
    "relu": dict(activation="relu", hidden_layer_sizes=(8,)),
    "sigmoid-tied": dict(activation="sigmoid", out_activation="sigmoid", tied_weights=True,
                         hidden_layer_sizes=(8,)),
    "tanh-tied": dict(activation="tanh", out_activation="tanh", tied_weights=True),
}


# Optimizer steps of _fit: 3 epochs of ceil(300 / 64) = 5 minibatches.
N_STEPS = 15


@pytest.fixture
def X(digits):
    return digits[0][:300]


class Counter:
    """Wraps a function and counts its calls."""

    def __init__(self, func):
        self.func, self.calls = func, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.func(*args, **kwargs)


def _count_adam_steps(monkeypatch):
    counter = Counter(torch.optim.Adam.step)

    def step(self, *args, **kwargs):
        return counter(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    return counter


def _fit(X, params):
    ae = Autoencoder(4, max_iter=3, batch_size=64, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
    return ae


def _assert_same_fit(ae, reference, X):
    np.testing.assert_allclose(ae.loss_curve_, reference.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(ae.transform(X), reference.transform(X), rtol=1e-5, atol=1e-6)


def test_private_names_are_found_on_this_torch():
    # Otherwise every test below would compare a fallback with itself.
    assert _torch_compat.FUSED_ADAM_KERNEL is not None
    assert _torch_compat.FOREACH_ADD is not None
    assert _torch_compat.ADAM_FUNCTIONAL is not None
    assert _torch_compat.ATEN is not None
    assert _torch_compat.OPTIMIZER_HOOKS_VISIBLE and _torch_compat.HOOKS_VISIBLE
    assert _torch_compat.activation_backward_table() is not _torch_compat.PUBLIC_BACKWARD


def test_fast_path_skips_optimizer_step(X, monkeypatch):
    # The shortcut is what a default fit takes: Adam.step only creates the state.
    steps = _count_adam_steps(monkeypatch)
    ae = _fit(X, ESTIMATORS["relu"])
    assert len(ae.loss_curve_) == 3
    assert steps.calls == 1


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_without_private_kernels(name, X, monkeypatch):
    """No fused kernel, no functional Adam, no ATen: ``Adam.step()`` every step and the
    activations' backward written with public operators."""
    reference = _fit(X, ESTIMATORS[name])
    for handle in ("FUSED_ADAM_KERNEL", "FOREACH_ADD", "ADAM_FUNCTIONAL", "ATEN"):
        monkeypatch.setattr(_torch_compat, handle, None)
    backward = {key: Counter(func) for key, func in _torch_compat.PUBLIC_BACKWARD.items()}
    for key, counter in backward.items():
        monkeypatch.setitem(_torch_compat.PUBLIC_BACKWARD, key, counter)
    steps = _count_adam_steps(monkeypatch)
    ae = _fit(X, ESTIMATORS[name])
    _assert_same_fit(ae, reference, X)
    assert steps.calls == N_STEPS
    activation = ESTIMATORS[name]["activation"]
    assert backward[activation].calls > 0
    # The output layer's activation is differentiated at every step.
    out = ESTIMATORS[name].get("out_activation", "identity")
    assert backward[out].calls >= N_STEPS


def test_functional_adam_off_the_fused_kernel(X, monkeypatch):
    # Without the fused kernel, the shortcut calls torch's functional Adam (fused=True).
    reference = _fit(X, ESTIMATORS["relu"])
    monkeypatch.setattr(_torch_compat, "FUSED_ADAM_KERNEL", None)
    functional = Counter(_torch_compat.ADAM_FUNCTIONAL)
    monkeypatch.setattr(_torch_compat, "ADAM_FUNCTIONAL", functional)
    steps = _count_adam_steps(monkeypatch)
    ae = _fit(X, ESTIMATORS["relu"])
    _assert_same_fit(ae, reference, X)
    assert steps.calls == 1 and functional.calls == N_STEPS - 1


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_hooks_not_visible(name, X, monkeypatch):
    """Where hooks cannot be seen, autograd and ``Adam.step()`` run every step."""
    reference = _fit(X, ESTIMATORS[name])
    monkeypatch.setattr(_torch_compat, "HOOKS_VISIBLE", False)
    monkeypatch.setattr(_torch_compat, "OPTIMIZER_HOOKS_VISIBLE", False)
    by_hand = Counter(MLPAutoencoder.loss_and_gradients_)
    monkeypatch.setattr(MLPAutoencoder, "loss_and_gradients_",
                        lambda self, *args: by_hand(self, *args))
    steps = _count_adam_steps(monkeypatch)
    ae = _fit(X, ESTIMATORS[name])
    _assert_same_fit(ae, reference, X)
    assert by_hand.calls == 0
    assert steps.calls == N_STEPS


def test_hand_written_pass_is_taken_on_the_fast_path(X, monkeypatch):
    by_hand = Counter(MLPAutoencoder.loss_and_gradients_)
    monkeypatch.setattr(MLPAutoencoder, "loss_and_gradients_",
                        lambda self, *args: by_hand(self, *args))
    _fit(X, ESTIMATORS["relu"])
    assert by_hand.calls == N_STEPS


def test_step_hooks_run(X, monkeypatch):
    # A hook registered on the optimizer sends every step through Optimizer.step.
    calls = []
    handle = register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: calls.append(1))
    try:
        ae = _fit(X, ESTIMATORS["relu"])
    finally:
        handle.remove()
    assert len(calls) == N_STEPS and len(ae.loss_curve_) == 3


def test_unknown_adam_option_goes_through_step(monkeypatch):
    param = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([param], lr=0.1, fused=True)
    steps = _count_adam_steps(monkeypatch)
    for _ in range(2):
        param.grad = torch.ones(3)
        _torch_compat.optimizer_step(opt)
    assert steps.calls == 1  # the state is created by step(), the second is the shortcut
    opt.param_groups[0]["option_of_a_later_torch"] = True
    param.grad = torch.ones(3)
    _torch_compat.optimizer_step(opt)
    assert steps.calls == 2


def test_safe_globals_fallback(X, monkeypatch):
    """Without ``torch.serialization.safe_globals`` (torch 2.4), the classes are allowed
    through ``add_safe_globals`` for the load only."""
    ae = _fit(X, ESTIMATORS["relu"])
    payload = pickle.dumps(ae)
    monkeypatch.setattr(_torch_compat, "SAFE_GLOBALS_CONTEXT", None)
    added = Counter(torch.serialization.add_safe_globals)
    monkeypatch.setattr(torch.serialization, "add_safe_globals", added)
    before = torch.serialization.get_safe_globals()
    loaded = pickle.loads(payload)
    assert added.calls == 2  # the classes, then the list as it was
    assert set(torch.serialization.get_safe_globals()) == set(before)  # in any order
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
    # Out of the block the classes are not allowed: the scope did its job.
    with pytest.raises(pickle.UnpicklingError):
        torch.load(io.BytesIO(ae.__getstate__()["_torch_payload"]), weights_only=True)
