"""AutoRecRegressor: quality on MovieLens 100K, unseen ids, bad input, and the properties that
scikit-learn's common checks cannot test on a two-column (user id, item id) model."""

import pickle
import time

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from skae import AutoRecRegressor
from skae._engine import BatchSource
from skae.nn import masked_squared_error
from tests.conftest import data_home_or_skip

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"n_components": 16, "max_iter": 30, "random_state": 0}


@pytest.fixture(scope="module")
def ratings():
    """A low-rank 40 users x 25 items rating matrix, about half observed, ratings 1..5."""
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 2)) @ rng.normal(size=(2, 25))
    full = np.clip(np.round(3 + scores), 1, 5)
    users, items = np.nonzero(rng.random(full.shape) < 0.5)
    X = np.column_stack([users + 100, items + 500])
    return X, full[users, items].astype(float), full


# -- quality on real data -----------------------------------------------------------------
def test_movielens_100k_u1_beats_item_mean_baseline():
    data_home_or_skip("movielens/ml-100k/u1.base")
    from skae.datasets import load_movielens

    train, test = load_movielens("100k", split="u1")
    X_train, y_train = train[["user", "item"]], train["rating"].to_numpy(float)
    X_test, y_test = test[["user", "item"]], test["rating"].to_numpy(float)

    item_mean = train.groupby("item")["rating"].mean()
    baseline = test["item"].map(item_mean).fillna(y_train.mean()).to_numpy()
    rmse_item_mean = np.sqrt(np.mean((baseline - y_test) ** 2))
    # Measured: 1.0334 (the item-mean baseline on u1).
    assert 1.02 < rmse_item_mean < 1.05

    start = time.perf_counter()
    model = AutoRecRegressor(max_iter=15, random_state=0).fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    rmse = np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))
    # Measured: 0.908 after 15 epochs (I-AutoRec, 500 sigmoid units, the defaults), in 2-5 s;
    # benchmarks/bench_autorec.py trains to convergence.
    assert rmse < 0.93, (rmse, rmse_item_mean, fit_seconds)
    assert rmse < rmse_item_mean - 0.1
    # The paper's plain penalty, same budget. Measured: 0.918.
    plain = AutoRecRegressor(max_iter=15, shrink_toward="zero", random_state=0)
    rmse_plain = np.sqrt(np.mean((plain.fit(X_train, y_train).predict(X_test) - y_test) ** 2))
    assert rmse < rmse_plain - 0.005, (rmse, rmse_plain)


# -- shrink_toward -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def item_effect_ratings():
    """Ratings that are an item effect plus noise: 30 users rate all 60 items, 60 users rate 3.

    Returns the training pairs and ratings, and the light users' unrated pairs with ratings.
    """
    rng = np.random.default_rng(0)
    n_items, heavy, light = 60, 30, 60
    quality = rng.normal(size=n_items)
    train, test = [], []
    for u in range(heavy + light):
        items = np.arange(n_items) if u < heavy else rng.choice(n_items, 3, replace=False)
        train += [(u, i) for i in items]
        if u >= heavy:
            test += [(u, i) for i in np.setdiff1d(np.arange(n_items), items)]

    def rate(pairs):
        return np.clip(3 + quality[pairs[:, 1]] + 0.3 * rng.normal(size=len(pairs)), 1, 5)

    X, X_test = np.asarray(train), np.asarray(test)
    return X, rate(X), X_test, rate(X_test)


@pytest.mark.parametrize("solver, params", [
    ("adam", {"max_iter": 100, "learning_rate_init": 1e-2}),
    ("lbfgs", {"max_iter": 10}),
])
def test_shrink_toward_mean_keeps_the_item_effect_for_users_with_few_ratings(
        solver, params, item_effect_ratings):
    X, y, X_test, y_test = item_effect_ratings
    rmse = {}
    for shrink in ["zero", "mean"]:
        model = AutoRecRegressor(n_components=8, solver=solver, shrink_toward=shrink, alpha=1e-2,
                                 random_state=0, **params).fit(X, y)
        rmse[shrink] = np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))
    # Measured: adam 1.03 (zero) vs 0.44 (mean); lbfgs 0.97 vs 0.35. With 3 ratings a light
    # user's weights shrink to zero and the prediction falls back to the user's mean; shrunk
    # toward the heavy users' weights it keeps the item's quality.
    assert rmse["mean"] < 0.6 * rmse["zero"], rmse
    assert rmse["mean"] < 0.6


def test_shrink_toward_mean_is_a_penalty_not_a_new_model(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**{**FAST, "solver": "lbfgs", "max_iter": 3, "alpha": 1e-2}).fit(X, y)
    module = model.module_
    w0 = module.decoder_mean
    assert w0.ndim == 1 and w0.abs().sum() > 0  # learned, and 1-D: no weight decay on it
    # The network is plain AutoRec with decoder W + w0: the same predictions from it.
    W, b = module.decoder_linear(0)
    x = torch.from_numpy(model.rating_matrix_.toarray())
    with torch.no_grad():
        h = module.encode(x)
        np.testing.assert_allclose(module.decode(h), h @ (W + w0).T + b, rtol=1e-5, atol=1e-5)
        # The L-BFGS objective penalises V and the deviations D = W only, not w0.
        V = module.encoder_layers[0].weight
        mse = masked_squared_error(module.decode(h), x, (x != 0).float())
        penalty = 0.5 * 1e-2 * (V.square().sum() + W.square().sum())
    assert model.loss_curve_[-1] == pytest.approx(float(mse + penalty), rel=1e-4)
    # Zero start: at initialisation both settings compute the same function.
    a = AutoRecRegressor(**{**FAST, "max_iter": 1, "learning_rate_init": 1e-12}).fit(X, y)
    b = AutoRecRegressor(**{**FAST, "max_iter": 1, "learning_rate_init": 1e-12,
                            "shrink_toward": "zero"}).fit(X, y)
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-6)
    assert not hasattr(b.module_, "decoder_mean")


# -- predictions, unseen ids, clipping ------------------------------------------------------
def test_unseen_ids_get_baselines_never_nan(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**FAST).fit(X, y)
    seen_user, seen_item = X[0]
    pred = model.predict([[seen_user, seen_item], [seen_user, -1], [-1, seen_item], [-1, -2]])
    assert np.isfinite(pred).all()
    u = model.user_encoder_.transform([seen_user])[0]
    i = model.item_encoder_.transform([seen_item])[0]
    assert pred[1] == pytest.approx(y[X[:, 0] == seen_user].mean())
    assert pred[1] == pytest.approx(model.user_mean_[u])
    assert pred[2] == pytest.approx(y[X[:, 1] == seen_item].mean())
    assert pred[2] == pytest.approx(model.item_mean_[i])
    assert pred[3] == pytest.approx(y.mean()) == model.global_mean_
    # Ids of another type (strings for integer ids) are unseen too, not an error.
    assert model.predict([["a", "b"]])[0] == pytest.approx(y.mean())


@pytest.mark.parametrize("kind", ["item", "user"])
def test_kind_orients_the_rating_matrix_and_learns(kind, ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(kind, n_components=16, max_iter=150, learning_rate_init=1e-2,
                             alpha=0.0, random_state=0).fit(X, y)
    n_users, n_items = len(np.unique(X[:, 0])), len(np.unique(X[:, 1]))
    expected = (n_items, n_users) if kind == "item" else (n_users, n_items)
    assert model.rating_matrix_.shape == expected
    assert model.rating_matrix_.nnz == len(y)
    # The training error falls well below that of the per-row means the output starts from.
    rmse_train = np.sqrt(np.mean((model.predict(X) - y) ** 2))
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
    assert rmse_train < 0.5


def test_predictions_are_clipped_to_the_training_range(ratings):
    X, y, _ = ratings
    y_wide = y * 10.0  # ratings 10..50
    model = AutoRecRegressor(**FAST).fit(X, y_wide)
    assert model.rating_range_ == (10.0, 50.0)
    pred = model.predict(X)
    assert pred.min() >= 10.0 and pred.max() <= 50.0
    raw = clone(model).set_params(clip=False).fit(X, y_wide).predict(X)
    np.testing.assert_allclose(np.clip(raw, 10, 50), pred, rtol=1e-6)


def test_duplicate_pairs_are_averaged():
    X = np.array([[1, 1], [1, 1], [2, 1]])
    model = AutoRecRegressor(n_components=2, max_iter=2, random_state=0).fit(X, [2.0, 4.0, 5.0])
    np.testing.assert_array_equal(model.rating_matrix_.toarray(), [[3.0, 5.0]])


def test_string_ids_and_dataframe_input(ratings):
    X, y, _ = ratings
    df = pd.DataFrame({"user": [f"u{u}" for u in X[:, 0]], "item": [f"i{i}" for i in X[:, 1]]})
    model = AutoRecRegressor(**FAST).fit(df, y)
    np.testing.assert_array_equal(model.feature_names_in_, ["user", "item"])
    pred_df = model.predict(df)
    np.testing.assert_allclose(pred_df, model.predict(df[::-1])[::-1])
    # The encoding is by sorted vocabulary, so integer and string ids give the same model
    # when their sort orders agree (here: same number of digits).
    np.testing.assert_allclose(pred_df, AutoRecRegressor(**FAST).fit(X, y).predict(X), rtol=1e-5)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df.rename(columns={"item": "movie"}))


# -- what the width-dependent common checks would have tested, on two columns -------------
def test_pickle_roundtrip_predicts_identically(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_predict_sets_nothing_and_is_deterministic(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**FAST).fit(X, y)
    before = dict(model.__dict__)
    first = model.predict(X)
    assert model.__dict__ == before
    np.testing.assert_array_equal(model.predict(X), first)


def test_fit_and_predict_are_invariant_to_pair_order(ratings):
    X, y, _ = ratings
    perm = np.random.default_rng(1).permutation(len(y))
    a = AutoRecRegressor(**FAST).fit(X, y)
    b = AutoRecRegressor(**FAST).fit(X[perm], y[perm])
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-6)
    np.testing.assert_array_equal(a.predict(X[perm]), a.predict(X)[perm])
    # Subset invariance: one pair at a time equals the batch.
    single = np.array([a.predict(X[k:k + 1])[0] for k in range(10)])
    np.testing.assert_allclose(single, a.predict(X)[:10], rtol=1e-6)


def test_fit_is_reproducible_and_leaves_global_rng_alone(ratings):
    X, y, _ = ratings
    state = torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    a = AutoRecRegressor(**FAST).fit(X, y).predict(X)
    assert torch.equal(torch.random.get_rng_state(), state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    np.testing.assert_array_equal(AutoRecRegressor(**FAST).fit(X, y).predict(X), a)
    c = AutoRecRegressor(**{**FAST, "random_state": 1}).fit(X, y).predict(X)
    assert not np.array_equal(a, c)


def test_one_rating_fits(ratings):
    model = AutoRecRegressor(n_components=3, max_iter=3, random_state=0).fit([[7, 8]], [4.0])
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    np.testing.assert_allclose(model.predict([[7, 8], [7, 9], [0, 0]]), 4.0)


def test_n_iter_and_convergence_warning(ratings):
    X, y, _ = ratings
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        model = AutoRecRegressor(n_components=4, max_iter=2, random_state=0).fit(X, y)
    assert model.n_iter_ == 2


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((4, 3)), np.ones(4), r"exactly 2 columns \(user id, item id\), got n_features=3"),
        (np.zeros((4, 1)), np.ones(4), "got n_features=1"),
        (np.zeros((0, 2)), np.ones(0), "0 sample"),
        (np.zeros((2, 2)), [3.0, np.nan], "Input y contains NaN"),
        (np.zeros((2, 2)), [3.0, np.inf], "Input y contains infinity"),
        (np.array([[1.0, np.nan]]), [3.0], "Input X contains NaN"),
        (np.array([[1.0, np.inf]]), [3.0], "Input X contains infinity"),
        (np.array([[1.5, 2.0]]), [3.0], "user ids must be integers or strings"),
        (np.zeros((2, 2)), None, "requires y to be passed"),
        (np.zeros(2), [3.0, 3.0], "Expected 2D array"),
    ],
)
def test_bad_fit_input_raises_clear_errors(X, y, match):
    with pytest.raises(ValueError, match=match):
        AutoRecRegressor(**FAST).fit(X, y)


def test_bad_predict_input_raises_clear_errors(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but AutoRecRegressor is expecting 2"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict([[X[0, 0], np.nan]])
    with pytest.raises(ValueError, match="Expected 2D array"):
        model.predict(X[0])


# -- the masked objective, early stopping, warm start -----------------------------------------
def test_masked_squared_error_counts_observed_entries_only():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[2.0, 99.0], [1.0, 0.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    # ((1 - 2)^2 + (3 - 1)^2) / 2 observed entries
    assert masked_squared_error(pred, target, mask).item() == pytest.approx(2.5)
    assert masked_squared_error(pred, target, torch.zeros(2, 2)).item() == 0.0
    # Unobserved outputs get no gradient (Sedhain et al. 2015, eq. 2).
    pred.requires_grad_(True)
    masked_squared_error(pred, target, mask).backward()
    np.testing.assert_array_equal(pred.grad[:, 1].numpy(), [0.0, 0.0])


def test_early_stopping_holds_out_ratings_not_rows(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**{**FAST, "early_stopping": True}).fit(X, y)
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert model.best_loss_ == min(model.validation_loss_curve_)

    R = model.rating_matrix_
    observed = R.copy()
    observed.data[:] = 1.0
    train, validation = model._validation_split(
        BatchSource({"x": R, "target": R, "mask": observed}, "cpu"), np.random.default_rng(0)
    )
    n_val = validation.arrays[2].nnz
    assert n_val == round(0.1 * len(y))
    assert train.arrays[2].nnz == len(y) - n_val
    assert len(train) == R.shape[0]  # every row stays in training
    # A held-out rating is absent from the input it is predicted from...
    assert validation.arrays[0].multiply(validation.arrays[2]).nnz == 0
    # ... and from the training input and targets.
    assert train.arrays[0].nnz == train.arrays[1].nnz == len(y) - n_val
    with pytest.raises(ValueError, match="no training or no validation ratings"):
        AutoRecRegressor(early_stopping=True, validation_fraction=0.1).fit([[1, 1]], [3.0])


def test_early_stopping_start_values_see_training_ratings_only(ratings, monkeypatch):
    """The output biases start at column means of the training part, never of held-out ratings."""
    X, y, _ = ratings
    seen = []
    build = AutoRecRegressor._build_module

    def spy(self, source, generator):
        module = build(self, source, generator)
        seen.append((source.arrays[2].nnz, module.decoder_linear(0)[1].detach().clone()))
        return module

    monkeypatch.setattr(AutoRecRegressor, "_build_module", spy)
    AutoRecRegressor(**{**FAST, "max_iter": 1, "early_stopping": True}).fit(X, y)
    n_train, bias = seen[0]
    assert n_train == len(y) - round(0.1 * len(y))
    AutoRecRegressor(**{**FAST, "max_iter": 1}).fit(X, y)
    assert seen[1][0] == len(y)
    assert not torch.equal(bias, seen[1][1])  # the held-out ratings changed some column means


@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_lbfgs_solver_learns_and_lowers_the_penalised_objective(alpha, ratings):
    X, y, full = ratings
    params = {**FAST, "max_iter": 5, "alpha": alpha}
    lbfgs = AutoRecRegressor(solver="lbfgs", **params).fit(X, y)
    adam = AutoRecRegressor(solver="adam", **params).fit(X, y)
    # Both solvers minimise the same objective (mean squared error on observed ratings plus
    # alpha / 2 ||W||^2); five full-batch L-BFGS steps reach a lower value than five Adam epochs.
    assert lbfgs.loss_curve_[-1] < adam.loss_curve_[-1]
    assert np.all(np.diff(lbfgs.loss_curve_) <= 1e-6)  # a line-search method never goes up
    weights = sum(float(p.detach().square().sum()) for p in lbfgs.module_.parameters()
                  if p.ndim >= 2)
    rmse = np.sqrt(np.mean((lbfgs.predict(X) - y) ** 2))
    assert lbfgs.loss_curve_[-1] >= 0.5 * alpha * weights
    assert rmse < np.std(y)


def test_warm_start_continues_and_rejects_new_ids(ratings):
    X, y, _ = ratings
    model = AutoRecRegressor(**{**FAST, "max_iter": 3, "warm_start": True}).fit(X, y)
    module = model.module_
    model.fit(X, y)
    assert model.module_ is module and model.n_iter_ == 6
    with pytest.raises(ValueError, match="ids not seen"):
        model.fit(np.vstack([X, [[9999, X[0, 1]]]]), np.append(y, 3.0))


# -- model selection ------------------------------------------------------------------------
def test_cross_validate_and_grid_search_on_rating_pairs(ratings):
    X, y, _ = ratings
    # Shuffled folds hold out ratings of users seen in training, so the network is used.
    cv, scoring = KFold(3, shuffle=True, random_state=0), "neg_root_mean_squared_error"
    params = {**FAST, "solver": "lbfgs", "max_iter": 10}
    rmse = -cross_validate(AutoRecRegressor(**params), X, y, cv=cv, scoring=scoring)["test_score"]
    baseline = -cross_validate(DummyRegressor(), X, y, cv=cv, scoring=scoring)["test_score"]
    # Measured: RMSE 0.74, 0.67, 0.81 on the folds against the global mean's 1.06, 1.17, 1.08.
    assert np.all(rmse < baseline - 0.2)
    search = GridSearchCV(AutoRecRegressor(**params), {"alpha": [0.0, 1e-2, 1.0]},
                          scoring=scoring, cv=cv).fit(X, y)
    # Measured mean RMSE: 1.02 without a penalty (overfitting), 0.73 at alpha=1e-2 and 1.26 at
    # alpha=1.0 (underfitting); 1e-2 is the best on each of the three folds.
    means = -search.cv_results_["mean_test_score"]
    assert means[1] < min(means[0], means[2]) - 0.15
    assert search.best_params_ == {"alpha": 1e-2}
    assert np.isfinite(search.predict(X)).all()
