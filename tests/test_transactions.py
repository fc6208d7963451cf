"""Fits as transactions: a Ctrl-C, a failed continuation or a callback's teardown error leaves
the estimator exactly as it was (a fresh one unfitted), the random state included."""

import copy

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skae import (
    CDL,
    Autoencoder,
    AutoencoderImputer,
    AutoRecRegressor,
    MDACFRegressor,
    StackedAutoencoder,
    StackedAutoencoderClassifier,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.rand(40, 6)
Y = np.where(X[:, 0] > 0.5, 1, 0)
Y_SEMI = np.where(np.arange(40) % 4 == 0, Y, -1)  # a quarter labelled
X_MISSING = np.where(RNG.rand(40, 6) < 0.2, np.nan, X)
INTERACTIONS = (RNG.rand(30, 12) < 0.3).astype(float)
PAIRS = np.array([[u, i] for u in range(8) for i in range(6) if (u + i) % 3])
RATINGS = (PAIRS.sum(1) % 5 + 1).astype(float)

SMALL = dict(max_iter=3, random_state=0)

# (name, make, fit data, output): every kind of estimator whose fit runs the engine, and
# MDACFRegressor, whose fit does not.
CASES = {
    "Autoencoder": (lambda: Autoencoder(n_components=2, hidden_layer_sizes=(4,), **SMALL),
                    (X,), lambda e: e.transform(X)),
    "StackedAutoencoder": (lambda: StackedAutoencoder(n_components=2, hidden_layer_sizes=(4,),
                                                      **SMALL),
                           (X,), lambda e: e.transform(X)),
    "StackedAutoencoderClassifier": (
        lambda: StackedAutoencoderClassifier(hidden_layer_sizes=(4,), **SMALL),
        (X, Y_SEMI), lambda e: e.predict_proba(X)),
    "AutoencoderImputer": (lambda: AutoencoderImputer(hidden_layer_sizes=(8,), **SMALL),
                           (X_MISSING,), lambda e: e.transform(X_MISSING)),
    "AutoencoderImputer-posterior": (
        lambda: AutoencoderImputer(hidden_layer_sizes=(8,), sample_posterior=True, **SMALL),
        (X_MISSING,), lambda e: e.transform(X_MISSING)),
    "CDL": (lambda: CDL(hidden_layer_sizes=(4,), **SMALL), (INTERACTIONS,),
            lambda e: e.predict_scores(INTERACTIONS)),
    "AutoRecRegressor": (lambda: AutoRecRegressor(**SMALL), (PAIRS, RATINGS),
                         lambda e: e.predict(PAIRS)),
    "AutoRecRegressor-lbfgs": (lambda: AutoRecRegressor(solver="lbfgs", **SMALL),
                               (PAIRS, RATINGS), lambda e: e.predict(PAIRS)),
}
ENGINE_CASES = list(CASES)
CASES["MDACFRegressor"] = (lambda: MDACFRegressor(**SMALL), (PAIRS, RATINGS),
                           lambda e: e.predict(PAIRS))


def _interrupt_at_first_step(monkeypatch, est):
    """Make the next training step of ``est``'s class raise KeyboardInterrupt, as Ctrl-C."""
    cls = type(est)
    if not hasattr(cls, "_loss"):  # MDACFRegressor: not on the engine
        def interrupted(self, *args, **kwargs):
            raise KeyboardInterrupt
        monkeypatch.setattr(cls, "_alternate", interrupted)
        return
    original = cls._loss

    def loss(self, module, batch, ctx):
        if ctx.training:
            raise KeyboardInterrupt
        return original(self, module, batch, ctx)

    monkeypatch.setattr(cls, "_loss", loss)


def _state(est):
    """Every attribute of ``est`` (by identity) and its network's weights (by value)."""
    module = getattr(est, "module_", None)
    weights = {} if module is None else {k: v.clone() for k, v in module.state_dict().items()}
    return dict(vars(est)), weights


def _assert_unchanged(est, state):
    attributes, weights = state
    assert vars(est).keys() == attributes.keys()
    changed = [k for k, v in vars(est).items() if v is not attributes[k]]
    assert changed == []
    if weights:
        for k, v in est.module_.state_dict().items():
            torch.testing.assert_close(v, weights[k], rtol=0, atol=0)


# -- 2. Ctrl-C during greedy pre-training --------------------------------------------------
@pytest.mark.parametrize("make, data", [
    (lambda: StackedAutoencoder(n_components=2, hidden_layer_sizes=(4,), batch_size=10,
                                max_iter=5, random_state=0), (X,)),
    (lambda: StackedAutoencoderClassifier(hidden_layer_sizes=(4, 3), batch_size=10,
                                          max_iter=5, random_state=0), (X, Y_SEMI)),
], ids=["StackedAutoencoder", "StackedAutoencoderClassifier"])
def test_ctrl_c_during_greedy_pretraining_ends_the_whole_fit(monkeypatch, make, data):
    # The first level's Autoencoder is interrupted in its second epoch (4 steps an epoch),
    # after one complete epoch: before, only that level stopped, and the fit went on.
    original = Autoencoder._loss
    steps = []

    def loss(self, module, batch, ctx):
        if type(self) is Autoencoder and ctx.training:
            if ctx.step == 6:
                raise KeyboardInterrupt
        elif ctx.training:
            steps.append(ctx.step)  # a step of fine-tuning
        return original(self, module, batch, ctx)

    monkeypatch.setattr(Autoencoder, "_loss", loss)
    est = make()
    if isinstance(est, StackedAutoencoderClassifier):
        classifier_loss = StackedAutoencoderClassifier._loss

        def counted(self, module, batch, ctx):
            if ctx.training:
                steps.append(ctx.step)
            return classifier_loss(self, module, batch, ctx)

        monkeypatch.setattr(StackedAutoencoderClassifier, "_loss", counted)
    with pytest.raises(KeyboardInterrupt):
        est.fit(*data)
    assert steps == []  # no fine-tuning step ran
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# -- 3. Ctrl-C before the first epoch completes -------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_ctrl_c_before_the_first_epoch_leaves_a_fitted_estimator_as_it_was(monkeypatch, name):
    make, data, output = CASES[name]
    est = make().fit(*data)
    before, state = output(est), _state(est)
    _interrupt_at_first_step(monkeypatch, est)
    with pytest.raises(KeyboardInterrupt):
        est.fit(*data)
    monkeypatch.undo()
    _assert_unchanged(est, state)
    np.testing.assert_array_equal(output(est), before)


@pytest.mark.parametrize("name", CASES)
def test_ctrl_c_before_the_first_epoch_leaves_a_fresh_estimator_unfitted(monkeypatch, name):
    make, data, _ = CASES[name]
    est = make()
    _interrupt_at_first_step(monkeypatch, est)
    with pytest.raises(KeyboardInterrupt):
        est.fit(*data)
    assert [k for k in vars(est) if k.endswith("_") and not k.startswith("_")] == []
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def test_ctrl_c_in_the_only_epoch_of_partial_fit_leaves_the_model_as_it_was(monkeypatch):
    est = Autoencoder(n_components=2, batch_size=10, **SMALL).fit(X)
    state = _state(est)
    _interrupt_at_first_step(monkeypatch, est)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X)
    _assert_unchanged(est, state)


# -- 4. a failed continuation restores the random state -----------------------------------
def _fail_at_first_step(monkeypatch, est):
    original = type(est)._loss

    def loss(self, module, batch, ctx):
        if ctx.training:
            raise RuntimeError("failed step")
        return original(self, module, batch, ctx)

    monkeypatch.setattr(type(est), "_loss", loss)


@pytest.mark.parametrize("name", [*ENGINE_CASES, "Autoencoder-partial_fit"])
def test_a_failed_continuation_leaves_the_next_one_bitwise_that_of_an_untouched_copy(
        monkeypatch, name):
    partial = name.endswith("partial_fit")
    make, data, output = CASES[name.removesuffix("-partial_fit")]
    est = make().set_params(warm_start=not partial).fit(*data)
    untouched = copy.deepcopy(est)
    _fail_at_first_step(monkeypatch, est)
    with pytest.raises(RuntimeError, match="failed step"):
        est.partial_fit(*data) if partial else est.fit(*data)
    monkeypatch.undo()
    for model in (est, untouched):
        model.partial_fit(*data) if partial else model.fit(*data)
    np.testing.assert_array_equal(output(est), output(untouched))
    assert est.loss_curve_ == untouched.loss_curve_


# -- 5. a callback whose teardown raises --------------------------------------------------
class _BadTeardown:
    # Only teardown matters here; the other hooks of scikit-learn's callback protocol must
    # exist and have nothing to do.
    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False

    def teardown(self, estimator, context):
        raise RuntimeError("teardown failed")


@pytest.mark.parametrize("name", ENGINE_CASES)
def test_a_teardown_error_leaves_the_estimator_as_it_was(name):
    make, data, output = CASES[name]
    fresh = make().set_callbacks(_BadTeardown())
    with pytest.raises(RuntimeError, match="teardown failed"):
        fresh.fit(*data)
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    est = make().fit(*data)
    before = output(est)
    est.set_callbacks(_BadTeardown())
    state = _state(est)
    with pytest.raises(RuntimeError, match="teardown failed"):
        est.fit(*data)
    _assert_unchanged(est, state)
    np.testing.assert_array_equal(output(est), before)
    assert not hasattr(est, "_callback_fit_ctx")
