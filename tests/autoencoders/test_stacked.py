"""``StackedAutoencoder``: greedy layer-wise pretraining, weight transfer, export."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split

from skae import Autoencoder, DenoisingAutoencoder, SparseAutoencoder, StackedAutoencoder
from skae._engine import BatchSource, History, StepContext

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_greedy_pretraining_beats_random_init_at_equal_finetuning(digits):
    X, _ = digits
    X_tr, X_te = train_test_split(X, test_size=0.3, random_state=0)
    kw = dict(n_components=8, hidden_layer_sizes=(128, 64, 32), max_iter=10, tol=0,
              random_state=0)
    greedy = StackedAutoencoder(pretrain="greedy", pretrain_estimator=Autoencoder(max_iter=20),
                                **kw).fit(X_tr)
    random = StackedAutoencoder(pretrain=None, **kw).fit(X_tr)
    assert greedy.n_iter_ == random.n_iter_ == 10
    assert -greedy.score(X_te) < 0.9 * -random.score(X_te)
    assert random.estimators_ == []


def test_layers_are_fitted_on_the_code_below_and_copied(digits):
    X, _ = digits
    template = DenoisingAutoencoder(noise="gaussian", noise_level=0.1, max_iter=3)
    sae = StackedAutoencoder(n_components=4, hidden_layer_sizes=(16, 8), random_state=0,
                             pretrain_estimator=template)
    ctx = StepContext(torch.Generator().manual_seed(0), torch.device("cpu"), History())
    module = sae._build_module(BatchSource((X,), "cpu"), ctx)
    layers = ctx.fitted["estimators_"]
    assert [type(e) for e in layers] == [DenoisingAutoencoder] * 3
    assert [e.n_components for e in layers] == [16, 8, 4]
    assert [e.n_features_in_ for e in layers] == [64, 16, 8]
    assert template.get_params()["n_components"] == 2  # the template itself is left alone
    assert not hasattr(template, "module_")
    # before fine-tuning the deep network is exactly the stack of the layers
    codes = [X]
    for est in layers:
        codes.append(est.transform(codes[-1]))
    x = torch.tensor(X, dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_allclose(module.encode(x).numpy(), codes[-1], rtol=1e-4, atol=1e-5)
        recon = module.decode(module.encode(x)).numpy()
    back = codes[-1]
    for est in reversed(layers):
        back = est.inverse_transform(back)
    np.testing.assert_allclose(recon, back, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("template", [None, SparseAutoencoder(max_iter=2)])
def test_tied_weights_and_sparse_input(digits, template):
    X, _ = digits
    Xs = sp.csr_matrix(X[:200] * (X[:200] > 0.5))
    sae = StackedAutoencoder(n_components=3, hidden_layer_sizes=(8,), tied_weights=True,
                             max_iter=2, pretrain_estimator=template, random_state=0).fit(Xs)
    assert sae.transform(Xs).shape == (200, 3)
    assert all(e.tied_weights for e in sae.estimators_)


def test_code_activation_goes_to_the_top_level(digits):
    # Hinton & Salakhutdinov (2006): logistic hidden layers, a linear code layer; the greedy
    # phase trains each level with the activation it will have in the deep network.
    X, _ = digits
    sae = StackedAutoencoder(n_components=4, hidden_layer_sizes=(16, 8), activation="sigmoid",
                             code_activation="identity", max_iter=2, random_state=0,
                             pretrain_estimator=DenoisingAutoencoder(max_iter=2)).fit(X)
    assert [e.code_activation for e in sae.estimators_] == ["sigmoid", "sigmoid", "identity"]
    assert [e.activation for e in sae.estimators_] == ["sigmoid"] * 3
    encoder = sae.export_encoder()
    assert [type(m).__name__ for m in encoder][2::2] == ["Sigmoid", "Sigmoid", "Identity"]
    H = sae.transform(X)
    assert H.min() < 0 or H.max() > 1


def test_export_encoder_is_a_standalone_copy(digits):
    X, _ = digits
    sae = StackedAutoencoder(n_components=4, hidden_layer_sizes=(16,), max_iter=3,
                             random_state=0).fit(X)
    encoder = sae.export_encoder()
    assert isinstance(encoder, torch.nn.Module)
    x = torch.tensor(X, dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_allclose(encoder(x).numpy(), sae.transform(X), rtol=1e-5, atol=1e-6)
        for p in encoder.parameters():
            p.add_(1.0)
    assert not np.allclose(encoder(x).detach().numpy(), sae.transform(X))
    with pytest.raises(NotFittedError):
        StackedAutoencoder().export_encoder()


def test_same_seed_same_model(digits):
    X, _ = digits
    kw = dict(n_components=3, hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    a = StackedAutoencoder(**kw).fit(X).transform(X)
    np.testing.assert_array_equal(a, StackedAutoencoder(**kw).fit(X).transform(X))


def test_invalid_pretrain_options(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="'pretrain' parameter"):
        StackedAutoencoder(pretrain="rbm").fit(X)
    with pytest.raises(ValueError, match="'pretrain_estimator' parameter"):
        StackedAutoencoder(pretrain_estimator="denoising").fit(X)
