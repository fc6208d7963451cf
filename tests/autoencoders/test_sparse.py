"""``SparseAutoencoder``: the penalty makes codes sparser than a plain autoencoder's."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from skae import Autoencoder, SparseAutoencoder

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SETTINGS = dict(n_components=32, max_iter=50, random_state=0)


@pytest.fixture(scope="module")
def split(digits):
    X, _ = digits
    return train_test_split(X, test_size=0.3, random_state=0)


def test_l1_gives_smaller_and_more_often_zero_codes(split):
    X_tr, X_te = split
    plain = Autoencoder(**SETTINGS).fit(X_tr).transform(X_te)
    sparse = SparseAutoencoder(sparsity_weight=3e-3, **SETTINGS).fit(X_tr).transform(X_te)
    assert np.abs(sparse).mean() < 0.7 * np.abs(plain).mean()
    near_zero = lambda H: np.mean(np.abs(H) < 1e-2)  # noqa: E731
    assert near_zero(sparse) > near_zero(plain) + 0.1


def test_kl_pulls_mean_activation_to_the_target(split):
    X_tr, X_te = split
    kw = dict(SETTINGS, activation="sigmoid", learning_rate_init=1e-2)
    plain = Autoencoder(**kw).fit(X_tr).transform(X_te)
    sparse = SparseAutoencoder(sparsity="kl", sparsity_weight=0.1, sparsity_target=0.05,
                               **kw).fit(X_tr).transform(X_te)
    assert abs(sparse.mean() - 0.05) < 0.5 * abs(plain.mean() - 0.05)
    assert np.mean(sparse < 0.05) > np.mean(plain < 0.05)


def test_zero_weight_is_the_plain_autoencoder(digits):
    X, _ = digits
    kw = dict(n_components=4, max_iter=3, random_state=0)
    np.testing.assert_allclose(
        SparseAutoencoder(sparsity_weight=0.0, **kw).fit(X).transform(X),
        Autoencoder(**kw).fit(X).transform(X), rtol=1e-6, atol=1e-6)


def test_objective_includes_the_penalty(digits):
    X, _ = digits
    kw = dict(n_components=8, max_iter=2, random_state=0)
    sparse = SparseAutoencoder(sparsity_weight=1.0, **kw).fit(X)
    # loss_curve_ reports the objective; score reports reconstruction only
    assert sparse.loss_curve_[-1] > -sparse.score(X)


@pytest.mark.parametrize("activation,code_activation", [
    ("relu", "same"), ("sigmoid", "identity"), ("sigmoid", "relu"),
])
def test_kl_needs_sigmoid_codes(digits, activation, code_activation):
    X, _ = digits
    with pytest.raises(ValueError, match="sparsity='kl' needs codes in \\(0, 1\\)"):
        SparseAutoencoder(sparsity="kl", activation=activation, code_activation=code_activation,
                          max_iter=1).fit(X)


def test_kl_checks_the_code_layer_not_the_hidden_layers(digits):
    # ReLU hidden units under a sigmoid code: the KL penalty is defined on the code.
    X, _ = digits
    sae = SparseAutoencoder(n_components=8, hidden_layer_sizes=(16,), sparsity="kl",
                            activation="relu", code_activation="sigmoid", max_iter=2,
                            random_state=0).fit(X)
    H = sae.transform(X)
    assert 0 < H.min() and H.max() < 1


@pytest.mark.parametrize("params,match", [
    ({"sparsity": "l2"}, "'sparsity' parameter"),
    ({"sparsity_weight": -1.0}, "'sparsity_weight' parameter"),
    ({"sparsity_target": 1.0}, "'sparsity_target' parameter"),
])
def test_invalid_parameters(digits, params, match):
    X, _ = digits
    with pytest.raises(ValueError, match=match):
        SparseAutoencoder(max_iter=1, **params).fit(X)
