"""Warm starts and partial_fit continue the built network: a parameter that defines that network
cannot change in between. The change is a clear error, and the fitted model is left as it was."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skae import (
    CDAE,
    Autoencoder,
    AutoRecRegressor,
    MultDAE,
    MultVAE,
    StackedAutoencoder,
    VariationalAutoencoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(0)
DENSE = RNG.random((30, 6))
CLICKS = (RNG.random((20, 15)) < 0.3).astype(float)
PAIRS = np.column_stack([RNG.integers(0, 8, 60), RNG.integers(0, 6, 60)])
RATINGS = RNG.integers(1, 6, 60).astype(float)

CASES = [
    (Autoencoder(n_components=2), DENSE, None, {"n_components": 3}),
    (Autoencoder(n_components=2), DENSE, None, {"hidden_layer_sizes": (4,)}),
    (Autoencoder(n_components=2), DENSE, None, {"activation": "tanh"}),
    (StackedAutoencoder(n_components=2, hidden_layer_sizes=(4,)), DENSE, None,
     {"tied_weights": True}),
    (VariationalAutoencoder(n_components=2), DENSE, None, {"likelihood": "bernoulli"}),
    (CDAE(n_components=3), CLICKS, None, {"n_components": 4}),
    (MultDAE(n_components=3, hidden_layer_sizes=()), CLICKS, None, {"n_components": 4}),
    (MultVAE(n_components=3, hidden_layer_sizes=()), CLICKS, None, {"activation": "relu"}),
    (AutoRecRegressor(n_components=4), PAIRS, RATINGS, {"shrink_toward": "zero"}),
    (AutoRecRegressor(n_components=4), PAIRS, RATINGS, {"solver": "lbfgs"}),
    (AutoRecRegressor(n_components=4), PAIRS, RATINGS, {"kind": "user"}),
]


def _state(model):
    return {k: v.clone() for k, v in model.module_.state_dict().items()}


@pytest.mark.parametrize("model, X, y, change", CASES,
                         ids=[f"{type(c[0]).__name__}-{next(iter(c[3]))}" for c in CASES])
def test_warm_start_rejects_a_changed_network_parameter(model, X, y, change):
    model = clone(model).set_params(max_iter=2, random_state=0, warm_start=True).fit(X, y)
    state, n_iter, curve = _state(model), model.n_iter_, list(model.loss_curve_)
    model.set_params(**change)
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"{name}=.* changed since the network was built"):
        model.fit(X, y)
    # Nothing of the fitted model changed.
    assert model.n_iter_ == n_iter and model.loss_curve_ == curve
    for key, value in _state(model).items():
        assert torch.equal(value, state[key])


@pytest.mark.parametrize("model, X, y, change", CASES[:1] + CASES[-3:-2],
                         ids=["Autoencoder", "AutoRecRegressor"])
def test_warm_start_continues_when_set_back_and_refits_when_cold(model, X, y, change):
    model = clone(model).set_params(max_iter=2, random_state=0, warm_start=True).fit(X, y)
    name = next(iter(change))
    original = model.get_params()[name]
    model.set_params(**change)
    with pytest.raises(ValueError, match="since the network was built"):
        model.fit(X, y)
    model.set_params(**{name: original}).fit(X, y)
    assert model.n_iter_ == 4  # continued
    # Training parameters may change between warm fits.
    model.set_params(alpha=0.5, learning_rate_init=1e-2).fit(X, y)
    assert model.n_iter_ == 6
    # A cold fit builds the new network.
    model.set_params(warm_start=False, **change).fit(X, y)
    assert model.n_iter_ == 2 and model._built_structure[name] == change[name]


def test_partial_fit_rejects_a_changed_network_parameter():
    model = Autoencoder(n_components=2, random_state=0).partial_fit(DENSE)
    state = _state(model)
    model.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components=2 -> 3 changed since the network was built; "
                                         "partial_fit continues"):
        model.partial_fit(DENSE)
    for key, value in _state(model).items():
        assert torch.equal(value, state[key])
    assert model.transform(DENSE).shape == (30, 2)


def test_equal_values_of_another_type_are_not_a_change():
    model = Autoencoder(n_components=2, hidden_layer_sizes=[4], max_iter=1, warm_start=True,
                        random_state=0).fit(DENSE)
    model.set_params(hidden_layer_sizes=(np.int64(4),)).fit(DENSE)
    assert model.n_iter_ == 2
