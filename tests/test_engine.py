"""The training engine: full-batch L-BFGS through the one loop, NaN restore, early stopping."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from skae._engine import (
    BatchSource,
    History,
    NonFiniteLossError,
    evaluate,
    fit_loop,
    make_adam,
    make_lbfgs,
)


def _mse(module, batch, ctx):
    x, y = batch
    return (module(x) - y).square().mean()


@pytest.fixture
def regression():
    """A tiny least-squares problem (convex in the weights of a linear layer)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = (X @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(200, 1))).astype(np.float32)
    return BatchSource((X, y), "cpu")


def _linear():
    torch.manual_seed(0)
    return nn.Linear(5, 1)


def test_lbfgs_reaches_a_lower_loss_than_adam_on_a_convex_problem(regression):
    n_epochs = 5
    adam_net, lbfgs_net = _linear(), _linear()
    fit_loop(adam_net, make_adam(adam_net, 1e-2), _mse, regression, history=History(),
             max_iter=n_epochs, batch_size=50, generator=torch.Generator().manual_seed(0))
    history = History()
    fit_loop(lbfgs_net, make_lbfgs(lbfgs_net), _mse, regression, history=history,
             max_iter=n_epochs, batch_size=50)
    adam_loss = evaluate(adam_net, _mse, regression)
    lbfgs_loss = evaluate(lbfgs_net, _mse, regression)
    # The exact least-squares optimum, for reference: L-BFGS must reach it, Adam is far off.
    X, y = (a.double() for a in regression.arrays)
    Xb = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], 1)
    optimum = float((Xb @ torch.linalg.lstsq(Xb, y).solution - y).square().mean())
    assert lbfgs_loss < adam_loss
    assert lbfgs_loss == pytest.approx(optimum, rel=1e-3)
    assert adam_loss > 1.5 * optimum
    # The recorded loss of an epoch is the loss at the weights the epoch ended with.
    assert history.loss_curve[-1] == pytest.approx(lbfgs_loss, rel=1e-5)
    assert len(history.loss_curve) <= n_epochs


def test_lbfgs_full_batch_loss_accumulates_minibatches(regression):
    """Batch size only bounds memory: the full-batch objective and the step do not change."""
    nets = [_linear(), _linear()]
    for net, batch_size in zip(nets, (7, 200), strict=True):
        fit_loop(net, make_lbfgs(net), _mse, regression, history=History(), max_iter=1,
                 batch_size=batch_size)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_non_finite_loss_restores_the_last_finite_weights(regression, solver):
    net = _linear()
    optimizer = make_adam(net, 1e-2) if solver == "adam" else make_lbfgs(net)
    history = History()
    fit_loop(net, optimizer, _mse, regression, history=history, max_iter=2, batch_size=50)
    good = {k: v.clone() for k, v in net.state_dict().items()}
    calls = {"n": 0}

    def exploding(module, batch, training):
        calls["n"] += 1
        loss = _mse(module, batch, training)
        return loss * math.nan if calls["n"] > 1 else loss

    with pytest.raises(NonFiniteLossError, match="epoch 3"):
        fit_loop(net, optimizer, exploding, regression, history=history, max_iter=5,
                 batch_size=50)
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, good[k])
    assert len(history.loss_curve) == 2


def test_lbfgs_early_stopping_restores_the_best_validation_weights(regression):
    train, validation = regression.subset(np.arange(150)), regression.subset(np.arange(150, 200))
    net = _linear()
    history = History(validation_loss_curve=[])
    fit_loop(net, make_lbfgs(net), _mse, train, history=history, max_iter=6, batch_size=150,
             validation=validation, n_iter_no_change=2)
    assert len(history.validation_loss_curve) == len(history.loss_curve) >= 1
    assert evaluate(net, _mse, validation) == pytest.approx(min(history.validation_loss_curve))


def test_cosine_schedule_anneals_the_step_size_over_max_iter(regression):
    net = _linear()
    optimizer = make_adam(net, 1.0)
    seen = []

    def loss(module, batch, ctx):
        seen.append(optimizer.param_groups[0]["lr"])
        return _mse(module, batch, ctx)

    n_epochs, lr0 = 8, 0.05
    fit_loop(net, optimizer, loss, regression, history=History(), max_iter=n_epochs,
             batch_size=200, tol=0, learning_rate=lr0, schedule="cosine")
    expected = [lr0 * (1 + math.cos(math.pi * t / n_epochs)) / 2 for t in range(n_epochs)]
    assert seen == pytest.approx(expected)  # one batch per epoch: one entry per epoch
    assert seen[0] == lr0 and seen[-1] < 0.04 * lr0


def test_adaptive_schedule_divides_the_step_size_on_plateaus(regression):
    net = _linear()
    optimizer = make_adam(net, 1.0)
    history = History()
    # tol larger than any improvement: every epoch after the first is a plateau epoch.
    converged = fit_loop(net, optimizer, _mse, regression, history=history, max_iter=100,
                         batch_size=50, tol=1e9, n_iter_no_change=2, learning_rate=1e-3,
                         schedule="adaptive")
    # 1e-3 -> 2e-4 -> 4e-5 -> 8e-6 -> 1.6e-6 -> 3.2e-7 (<= 1e-6: stop), two epochs each.
    assert converged == "converged"
    assert optimizer.param_groups[0]["lr"] == pytest.approx(3.2e-7)
    assert len(history.loss_curve) == 1 + 6 * 2
    constant = History()
    fit_loop(_linear(), make_adam(_linear(), 1e-3), _mse, regression, history=constant,
             max_iter=100, batch_size=50, tol=1e9, n_iter_no_change=2)
    assert len(constant.loss_curve) == 1 + 2


def test_lbfgs_ignores_the_schedule(regression):
    net = _linear()
    optimizer = make_lbfgs(net)
    fit_loop(net, optimizer, _mse, regression, history=History(), max_iter=3, batch_size=200,
             learning_rate=1e-3, schedule="cosine")
    assert optimizer.param_groups[0]["lr"] == 1.0


def test_unknown_schedule_is_rejected(regression):
    net = _linear()
    with pytest.raises(ValueError, match="schedule must be one of"):
        fit_loop(net, make_adam(net, 1e-3), _mse, regression, history=History(), max_iter=1,
                 batch_size=50, schedule="step")


# -- subnormal floats are flushed during training only -----------------------------------------
def test_training_flushes_subnormals_and_restores_the_callers_setting(regression):
    from skae._engine._loop import _flush_denormal_enabled

    seen = []

    def recording(module, batch, ctx):
        seen.append(_flush_denormal_enabled())
        return _mse(module, batch, ctx)

    for before in (False, True):
        torch.set_flush_denormal(before)
        try:
            net = _linear()
            fit_loop(net, make_adam(net, 1e-2), recording, regression, history=History(),
                     max_iter=1, batch_size=100)
            assert _flush_denormal_enabled() == before
            with pytest.raises(RuntimeError, match="boom"):
                fit_loop(net, make_adam(net, 1e-2), _raise, regression, history=History(),
                         max_iter=1, batch_size=100)
            assert _flush_denormal_enabled() == before
        finally:
            torch.set_flush_denormal(False)
    assert seen and all(seen)


def _raise(module, batch, ctx):
    raise RuntimeError("boom")


def test_flushing_changes_results_by_less_than_the_smallest_normal_float(regression, monkeypatch):
    import contextlib

    import skae._engine._loop as engine

    # Targets of 1e-20: squared errors near 1e-40 are subnormal in float32.
    X, y = (a.clone() for a in regression.arrays)
    tiny = BatchSource((X.numpy(), (y * 1e-20).numpy()), "cpu")
    nets = []
    for flush in (True, False):
        if not flush:
            monkeypatch.setattr(engine, "flush_denormal", contextlib.nullcontext)
        net = _linear()
        fit_loop(net, make_adam(net, 1e-3), _mse, tiny, history=History(), max_iter=3,
                 batch_size=50, generator=torch.Generator().manual_seed(0))
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=float(torch.finfo(torch.float32).tiny))


@pytest.mark.parametrize("alpha", [0.0, 1e-3])
def test_adam_shortcut_equals_optimizer_step(alpha):
    import copy

    from skae._engine import make_adam
    from skae.utils._torch_compat import optimizer_step

    torch.manual_seed(0)
    a = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU(), torch.nn.Linear(3, 5))
    b = copy.deepcopy(a)
    opt_a, opt_b = make_adam(a, 1e-2, alpha), make_adam(b, 1e-2, alpha)
    x = torch.randn(20, 5)
    for i in range(6):
        shortcut = lambda: optimizer_step(opt_b)  # noqa: E731
        for module, opt, step in ((a, opt_a, opt_a.step), (b, opt_b, shortcut)):
            for group in opt.param_groups:
                group["lr"] = 1e-2 * 0.9 ** i  # a schedule changes the step size
            opt.zero_grad()
            ((module(x) - x) ** 2).mean().backward()
            step()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
        assert torch.equal(opt_a.state[p]["exp_avg_sq"], opt_b.state[q]["exp_avg_sq"])
        assert opt_b.state[q]["step"] == 6


def test_adam_shortcut_falls_back_to_step_with_hooks():
    from skae._engine import make_adam
    from skae.utils._torch_compat import optimizer_step

    module = torch.nn.Linear(3, 2)
    opt = make_adam(module, 1e-2)
    seen = []
    opt.register_step_post_hook(lambda *args: seen.append(1))
    for _ in range(3):
        module(torch.ones(4, 3)).sum().backward()
        optimizer_step(opt)
    assert seen == [1, 1, 1]
