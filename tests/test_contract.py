"""The contract between the engine and the estimators: every estimator on the engine declares a
TrainingConfig and TrainingData, trains through the one template, and sees named batches."""

import dataclasses
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

import skae
from skae._estimator import TorchEstimatorMixin
from skae.base import FitSetup, StepContext, TrainingConfig, TrainingData, batch_type

RNG = np.random.default_rng(0)
X = RNG.random((40, 6)).astype(np.float32)
PAIRS = np.column_stack([RNG.integers(0, 8, 60), RNG.integers(0, 10, 60)])
RATINGS = RNG.integers(1, 6, 60).astype(float)
LABELS = np.where(np.arange(40) % 4 == 0, np.arange(40) % 2, -1)
LABELS[:2] = [0, 1]

ENGINE_ESTIMATORS = sorted(
    (cls for name in skae.__all__
     if isinstance(cls := getattr(skae, name), type) and issubclass(cls, TorchEstimatorMixin)
     and not name.startswith("Base")),
    key=lambda cls: cls.__name__,
)


def _fit_args(cls):
    if cls.__name__ in ("AutoRecRegressor",):
        return (PAIRS, RATINGS)
    if cls.__name__ == "StackedAutoencoderClassifier":
        return (X, LABELS)
    if cls.__name__ in ("CDAE", "CDL", "MultDAE", "MultVAE"):
        return ((X > 0.5).astype(np.float32),)
    return (X,)


def test_every_engine_estimator_is_found():
    names = {cls.__name__ for cls in ENGINE_ESTIMATORS}
    assert {"Autoencoder", "AutoRecRegressor", "CDL", "CDAE", "AutoencoderImputer",
            "StackedAutoencoderClassifier", "VariationalAutoencoder"} <= names


@pytest.mark.parametrize("cls", ENGINE_ESTIMATORS, ids=lambda c: c.__name__)
def test_fit_goes_through_the_template_with_named_batches(cls, monkeypatch):
    calls, fields = [], set()
    template, loss = cls._train, cls._loss

    def counting_train(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return template(self, *args, **kwargs)

    def recording_loss(self, module, batch, ctx):
        fields.add(type(batch)._fields)
        assert isinstance(ctx.setup, FitSetup)
        return loss(self, module, batch, ctx)

    monkeypatch.setattr(cls, "_train", counting_train)
    monkeypatch.setattr(cls, "_loss", recording_loss)
    est = cls(max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # two epochs
        est.fit(*_fit_args(cls))
    assert calls == [cls.__name__]
    # The estimator declares its data (not the mixin's default) and every batch is named.
    assert cls._training_data is not TorchEstimatorMixin._training_data
    assert fields and all(f and f[0] in ("x", "content") for f in fields)


@pytest.mark.parametrize("cls", ENGINE_ESTIMATORS, ids=lambda c: c.__name__)
def test_training_config_comes_from_the_parameters(cls):
    est = cls(max_iter=3, random_state=7)
    config = est._training_config()
    assert isinstance(config, TrainingConfig)
    assert config.max_iter == 3 and config.random_state == 7
    params = est.get_params(deep=False)
    for f in dataclasses.fields(TrainingConfig):
        if f.name not in params or f.name in ("batch_size", "alpha"):
            continue
        if isinstance(params[f.name], str) and params[f.name] == "auto":
            # A default that depends on the data (the imputer's step size) reaches the
            # engine resolved, never as "auto".
            assert isinstance(getattr(config, f.name), float), f.name
        else:
            assert getattr(config, f.name) == params[f.name], f.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_iter = 5


def test_an_estimator_without_early_stopping_declares_none():
    cdl = skae.CDL()
    assert "early_stopping" not in cdl.get_params()
    assert not hasattr(cdl, "early_stopping")
    assert cdl._training_config().early_stopping is False
    assert cdl._training_config().alpha == cdl.alpha


def test_training_config_from_params_ignores_other_parameters():
    config = TrainingConfig.from_params({"max_iter": 4, "n_components": 3, "tol": 0.5})
    assert (config.max_iter, config.tol, config.early_stopping) == (4, 0.5, False)
    assert config.batch_rows(10) == 10 and config.batch_rows(1000) == 200
    with pytest.raises(ValueError, match="no training or no validation samples out of 3"):
        TrainingConfig(validation_fraction=0.1).n_validation(3)


def test_training_data_needs_named_arrays():
    with pytest.raises(TypeError, match="dict of named arrays"):
        TrainingData((X,))


def test_step_context_setup_is_immutable_and_rebinding_shares_results():
    ctx = StepContext(torch.Generator(), torch.device("cpu"), skae.base.History(), max_iter=3)
    with pytest.raises(AttributeError):
        ctx.generator = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.setup.max_iter = 4
    bound = ctx.with_setup(max_iter=5)
    assert (ctx.max_iter, bound.max_iter) == (3, 5)
    bound.fitted["a"] = 1
    assert ctx.fitted == {"a": 1} and bound.history is ctx.history
    evaluation = bound.evaluation()
    assert not evaluation.training and bound.training


def test_named_batches_unpack_by_position_and_read_by_name():
    batch = batch_type(("x", "mask"))(1, 2)
    x, mask = batch
    assert (x, mask, batch.x, batch.mask, batch._fields) == (1, 2, 1, 2, ("x", "mask"))
    assert batch_type(("x", "mask")) is type(batch)
