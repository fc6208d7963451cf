"""Behaviour of ``skae.Autoencoder`` beyond scikit-learn's common checks."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.linalg import subspace_angles
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skae import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    NonFiniteLossError,
    SparseAutoencoder,
    StackedAutoencoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def small_ae(**kw):
    params = dict(n_components=4, hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    params.update(kw)
    return Autoencoder(**params)


def test_linear_autoencoder_reaches_pca(digits):
    # Baldi & Hornik (1989): a linear autoencoder under squared loss has the principal
    # subspace as its only minimum. Full-batch Adam on the centred input gets there.
    X, _ = digits
    pca = PCA(n_components=8).fit(X)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    ae = Autoencoder(8, activation="identity", tied_weights=True, learning_rate_init=3e-2,
                     batch_size=len(X), max_iter=1000, tol=0, n_iter_no_change=1000,
                     random_state=0).fit(X)
    ae_mse = -ae.score(X)
    assert ae_mse <= 1.01 * pca_mse
    angles = np.degrees(subspace_angles(ae.components_.T, pca.components_.T))
    assert angles.max() < 1.0
    np.testing.assert_allclose(ae.mean_, X.mean(0), rtol=1e-5, atol=1e-6)


def test_pipeline_with_svc_on_digits(digits):
    X, y = digits
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    pipe = Pipeline([
        ("ae", Autoencoder(32, hidden_layer_sizes=(128,), max_iter=60, random_state=0)),
        ("clf", SVC()),
    ]).fit(X_tr, y_tr)
    assert pipe.score(X_te, y_te) > 0.95


def test_grid_search_in_parallel(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    pipe = Pipeline([("ae", small_ae(max_iter=10)), ("clf", SVC())])
    search = GridSearchCV(pipe, {"ae__n_components": [4, 8]}, cv=2, n_jobs=2).fit(X, y)
    # Measured: mean accuracy 0.32 with 4 codes and 0.49 with 8 (0.33/0.31 and 0.49/0.49 on
    # the two folds; chance is 0.1). The search must have run each candidate and kept 8.
    means = search.cv_results_["mean_test_score"]
    assert means[1] > means[0] + 0.1 and means[0] > 0.2
    assert search.best_params_ == {"ae__n_components": 8}
    assert search.best_estimator_.named_steps["ae"].transform(X).shape == (400, 8)


def test_same_seed_same_model_and_global_rng_untouched(digits):
    X, _ = digits
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    a = small_ae().fit(X).transform(X)
    b = clone(small_ae()).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    c = small_ae(random_state=1).fit(X).transform(X)
    assert not np.allclose(a, c)


def test_pickle_round_trip_is_bit_identical(digits):
    X, _ = digits
    ae = small_ae().fit(X)
    restored = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))
    assert restored.device_ == torch.device("cpu")
    # The optimizer still drives the restored module's own parameters: training continues.
    restored.partial_fit(X)
    assert restored.n_iter_ == ae.n_iter_ + 1


def test_model_trained_elsewhere_unpickles_on_cpu(digits, monkeypatch):
    # Pickles store torch objects through torch.save; without CUDA they are mapped to the CPU.
    X, _ = digits
    ae = small_ae().fit(X)
    state = ae.__getstate__()
    assert "_torch_payload" in state and "module_" not in state
    assert hasattr(ae, "module_")  # pickling never strips the live estimator
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = Autoencoder.__new__(Autoencoder)
    restored.__setstate__(state)
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))


def test_dtypes_sparse_and_inverse(digits):
    X, _ = digits
    ae = small_ae().fit(X.astype(np.float32))
    H = ae.transform(X.astype(np.float32))
    assert H.dtype == np.float32 and H.shape == (len(X), 4)
    assert ae.transform(X).dtype == np.float32
    X_hat = ae.inverse_transform(H)
    assert X_hat.shape == X.shape and X_hat.dtype == np.float32
    np.testing.assert_allclose(ae.reconstruct(X), X_hat, rtol=1e-5, atol=1e-6)
    Xs = sp.csr_matrix(X)
    np.testing.assert_allclose(small_ae().fit(Xs).transform(Xs), small_ae().fit(X).transform(X),
                               rtol=1e-4, atol=1e-5)


def test_pandas_output_and_feature_names(digits):
    pd = pytest.importorskip("pandas")
    X, _ = digits
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    ae = small_ae().set_output(transform="pandas").fit(df)
    out = ae.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"autoencoder{i}" for i in range(4)]
    assert list(ae.get_feature_names_out()) == list(out.columns)
    assert list(ae.feature_names_in_) == list(df.columns)


def test_scores_and_components(digits):
    X, _ = digits
    ae = small_ae(hidden_layer_sizes=()).fit(X)
    s = ae.score_samples(X)
    assert s.shape == (len(X),) and np.all(s <= 0)
    assert ae.score(X) == pytest.approx(s.mean())
    assert ae.components_.shape == (4, 64)
    with pytest.raises(AttributeError, match="single-layer"):
        _ = small_ae().fit(X).components_


def test_cross_entropy_and_tied_deep(digits):
    X, _ = digits
    ae = small_ae(loss="cross_entropy", tied_weights=True, hidden_layer_sizes=(32, 16)).fit(X)
    rec = ae.reconstruct(X)
    assert rec.min() >= 0 and rec.max() <= 1
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        small_ae(loss="cross_entropy").fit(X * 16)
    with pytest.raises(ValueError, match="out_activation='sigmoid'"):
        small_ae(loss="cross_entropy", out_activation="identity").fit(X)


def test_early_stopping_and_convergence(digits):
    X, _ = digits
    ae = small_ae(early_stopping=True, max_iter=200, n_iter_no_change=3).fit(X)
    assert len(ae.validation_loss_curve_) == ae.n_iter_ < 200
    assert ae.best_loss_ == pytest.approx(min(ae.validation_loss_curve_))
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        small_ae(max_iter=2, tol=0).fit(X)
    assert small_ae().fit(X).validation_loss_curve_ is None
    with pytest.raises(ValueError, match="no training or no validation samples"):
        small_ae(early_stopping=True).fit(X[:1])


def test_warm_start_and_partial_fit(digits):
    X, _ = digits
    ae = small_ae(warm_start=True).fit(X)
    first = ae.loss_curve_[-1]
    ae.fit(X)
    assert ae.n_iter_ == 10 and ae.loss_curve_[-1] < first
    inc = small_ae()
    for _ in range(3):
        inc.partial_fit(X)
    assert inc.n_iter_ == 3



def _lr(model):
    return model._optimizer.param_groups[0]["lr"]


def test_learning_rate_schedules(digits):
    X, _ = digits
    # cosine: the last of 5 epochs runs at lr0 * (1 + cos(4 pi / 5)) / 2; the next fit
    # (warm start) restarts from learning_rate_init, here a new one.
    ae = small_ae(learning_rate="cosine", learning_rate_init=1e-2, max_iter=5, tol=0).fit(X)
    assert _lr(ae) == pytest.approx(1e-2 * (1 + np.cos(4 * np.pi / 5)) / 2)
    ae.set_params(warm_start=True, learning_rate="constant", learning_rate_init=3e-3).fit(X)
    assert _lr(ae) == 3e-3 and ae.n_iter_ == 10
    # adaptive: plateaus divide the step size by 5 instead of stopping; partial_fit keeps
    # the reduced step size, a new fit starts again from learning_rate_init.
    ada = small_ae(learning_rate="adaptive", tol=1e9, n_iter_no_change=1, max_iter=3).fit(X)
    assert _lr(ada) == pytest.approx(1e-3 / 25) and ada.n_iter_ == 3
    ada.partial_fit(X)
    assert _lr(ada) == pytest.approx(1e-3 / 125)
    ada.fit(X)
    assert _lr(ada) == pytest.approx(1e-3 / 25)
    with pytest.raises(ValueError, match="learning_rate"):
        small_ae(learning_rate="invscaling").fit(X)

def test_batch_size_larger_than_data_is_full_batch(digits):
    X, _ = digits
    a = small_ae(batch_size=10_000).fit(X[:50])
    b = small_ae(batch_size=50).fit(X[:50])
    np.testing.assert_array_equal(a.transform(X[:50]), b.transform(X[:50]))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "infinity"),
        (np.array([0.0, 1.0, 2.0]), "Expected 2D array"),
        (np.empty((0, 3)), "0 sample"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert|dtype"),
    ],
)
def test_bad_input_is_rejected(X, match):
    with pytest.raises(ValueError, match=match):
        small_ae().fit(X)


def test_wrong_width_and_unfitted(digits):
    X, _ = digits
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        small_ae().transform(X)
    ae = small_ae().fit(X)
    with pytest.raises(ValueError, match="X has 10 features"):
        ae.transform(X[:, :10])
    with pytest.raises(ValueError, match="n_components=4"):
        ae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        small_ae(hidden_layer_sizes=(0,)).fit(X)
    with pytest.raises(ValueError, match="activation"):
        small_ae(activation="softsign").fit(X)


def test_failed_partial_fit_leaves_model_usable(digits):
    X, _ = digits
    ae = small_ae().fit(X)
    before = ae.transform(X)
    n_iter = ae.n_iter_
    with pytest.raises(ValueError, match="features"):
        ae.partial_fit(X[:, :10])
    with pytest.raises(ValueError, match="NaN"):
        ae.partial_fit(np.full_like(X, np.nan))
    # Finite float64 values whose squares overflow float32 are rejected up front...
    with pytest.raises(ValueError, match="squares overflow"):
        ae.partial_fit(X * 1e30)
    # ...and a step size that makes the loss infinite leaves the model as it was.
    ae.set_params(learning_rate_init=1e30)
    with pytest.raises(NonFiniteLossError, match="left as it was"):
        ae.partial_fit(X * 1e6)
    ae.set_params(learning_rate_init=small_ae().learning_rate_init)
    np.testing.assert_array_equal(ae.transform(X), before)
    assert ae.n_iter_ == n_iter
    ae.partial_fit(X)
    assert ae.n_iter_ == n_iter + 1


def test_non_finite_loss_in_fit_is_a_clear_error(digits):
    X, _ = digits
    ae = small_ae(learning_rate_init=1e30, max_iter=50)
    with pytest.raises(NonFiniteLossError, match="learning_rate_init"):
        ae.fit(X * 1e6)
    # All or nothing: the failed fit of a fresh estimator leaves it unfitted...
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ae.transform(X)
    assert not [k for k in vars(ae) if k.endswith("_")]
    # ...and the failed refit of a fitted one leaves it exactly as it was.
    good = small_ae().fit(X)
    before = (good.transform(X), list(good.loss_curve_), dict(vars(good)))
    good.set_params(learning_rate_init=1e30, max_iter=50)
    with pytest.raises(NonFiniteLossError, match="left as it was"):
        good.fit(X * 1e6)
    np.testing.assert_array_equal(good.transform(X), before[0])
    assert good.loss_curve_ == before[1]
    assert vars(good).keys() == before[2].keys()
    assert all(vars(good)[k] is v for k, v in before[2].items() if k != "learning_rate_init"
               and k != "max_iter")


def test_unavailable_cuda_is_a_clear_error(digits, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, _ = digits
    with pytest.raises(ValueError, match="CUDA is not available"):
        small_ae(device="cuda").fit(X)
    assert small_ae(device="auto").fit(X[:50]).device_ == torch.device("cpu")


def test_verbose_shows_progress(digits, capsys):
    X, _ = digits
    small_ae(verbose=1, max_iter=2).fit(X[:100])
    err = capsys.readouterr().err
    assert "Autoencoder" in err and "loss=" in err


def test_read_only_input_is_not_modified(digits):
    X, _ = digits
    X = X.copy()
    X.setflags(write=False)
    small_ae().fit(X).transform(X)
    assert not X.flags.writeable


@pytest.mark.parametrize("cls", [
    Autoencoder, SparseAutoencoder, DenoisingAutoencoder, ContractiveAutoencoder,
    StackedAutoencoder,
])
def test_linear_code_on_sigmoid_hidden_units_is_unbounded(digits, cls):
    # Hinton & Salakhutdinov (2006): logistic hidden units, linear code units. The sigmoid
    # hidden layer keeps its range; only the code leaves [0, 1].
    X, _ = digits
    kw = dict(n_components=8, hidden_layer_sizes=(16,), activation="sigmoid", max_iter=3,
              random_state=0)
    linear = cls(code_activation="identity", **kw).fit(X)
    H = linear.transform(X)
    assert H.min() < 0 or H.max() > 1
    hidden = torch.sigmoid(linear.module_.encoder_layers[0](
        linear.module_.center(torch.tensor(X, dtype=torch.float32))))
    assert 0 <= hidden.min() and hidden.max() <= 1
    bounded = cls(code_activation="same", **kw).fit(X).transform(X)
    assert 0 <= bounded.min() and bounded.max() <= 1


def test_same_code_activation_is_activation(digits):
    X, _ = digits
    same = small_ae(activation="tanh", code_activation="same").fit(X)
    explicit = small_ae(activation="tanh", code_activation="tanh").fit(X)
    np.testing.assert_array_equal(same.transform(X), explicit.transform(X))
    assert same.module_.code_activation == "tanh"


def test_invalid_code_activation(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="'code_activation' parameter"):
        small_ae(code_activation="softsign").fit(X)
