"""Tests of the hybrid recommenders (side information, cold start): MDACFRegressor and CDL,
their feature tables, closed-form parts and metadata routing."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone

from skae import MDACFRegressor
from skae.nn._hybrid import marginalized_denoising_features, marginalized_denoising_mapping
from skae.recommenders import FeatureTable
from skae.recommenders._als import solve_rows
from skae.recommenders._mdacf import _Projection
from tests.conftest import data_home_or_skip

pd = pytest.importorskip("pandas")

ML100K = "movielens/ml-100k/"


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", category=ConvergenceWarning)
        yield


def _taste_data(n_users=40, n_items=12, seed=0):
    """Users of two groups (a feature says which) who like opposite halves of the items."""
    rng = np.random.RandomState(seed)
    group = rng.randint(0, 2, n_users)
    X, y = [], []
    for u in range(n_users):
        for i in rng.choice(n_items, 8, replace=False):
            likes = (i < n_items // 2) == (group[u] == 0)
            X.append((u, i))
            y.append(float(np.clip(rng.normal(4.5 if likes else 1.5, 0.3), 1, 5)))
    users = pd.DataFrame({"group": group.astype(float), "noise": rng.rand(n_users)},
                         index=pd.Index(np.arange(n_users), name="user"))
    return np.array(X), np.array(y), users, group


def _mdacf(**params):
    """A small model for the toy data: 8 ratings per user call for a light penalty."""
    return MDACFRegressor(**{"n_components": 2, "coupling_weight": 1.0, "n_draws": 20,
                             "random_state": 0, **params})


# ---------------------------------------------------------------- closed-form parts
def test_marginalized_mapping_matches_sampled_corruption():
    # Chen et al.'s closed form is the limit of least squares over many corrupted copies.
    rng = np.random.RandomState(0)
    x = torch.from_numpy(rng.rand(30, 4))
    w = marginalized_denoising_mapping(x, 0.4, ridge=0.0)
    copies = 4000
    tiled = x.repeat(copies, 1)
    keep = torch.from_numpy(rng.rand(*tiled.shape) >= 0.4).double()
    xt = torch.cat([tiled * keep, torch.ones(len(tiled), 1, dtype=x.dtype)], dim=1)
    w_sampled = torch.linalg.lstsq(xt, tiled).solution
    assert w.shape == (5, 4)
    np.testing.assert_allclose(w.numpy(), w_sampled.numpy(), atol=0.05)
    # No corruption: the identity reconstructs exactly.
    np.testing.assert_allclose(marginalized_denoising_mapping(x, 0.0, 0.0)[:4].numpy(),
                               np.eye(4), atol=1e-8)
    feats = marginalized_denoising_features(x, [w, marginalized_denoising_mapping(x, 0.4)])
    assert feats.shape == (30, 12)


def test_solve_rows_matches_row_by_row_ridge():
    rng = np.random.RandomState(0)
    weights = sp.random(6, 9, density=0.5, random_state=0, format="csr")
    targets = weights.copy()
    targets.data = rng.rand(targets.nnz)
    Y, prior, base = rng.rand(9, 3), rng.rand(6, 3), np.diag([0.5, 0.2, 0.1])
    got = solve_rows(weights, targets, Y, 0.7, prior, base_gram=base)
    for r in range(6):
        w = weights[r].toarray().ravel()
        gram = Y.T @ (w[:, None] * Y) + base + 0.7 * np.eye(3)
        rhs = Y.T @ targets[r].toarray().ravel() + 0.7 * prior[r]
        np.testing.assert_allclose(got[r], np.linalg.solve(gram, rhs), rtol=1e-10)


def test_solve_rows_draws_from_the_ridge_posterior():
    # With noise s^2 a row is drawn from N(ridge solution, s^2 G^-1): the empirical mean and
    # covariance of many draws (many copies of one row) match them.
    rng = np.random.RandomState(0)
    Y = rng.rand(5, 2)
    n = 20000
    weights = sp.csr_matrix(np.ones((n, 5)))
    targets = sp.csr_matrix(np.tile(rng.rand(5), (n, 1)))
    mean = solve_rows(weights[:1], targets[:1], Y, 0.5, np.array([[0.3, -0.2]]))[0]
    draws = solve_rows(weights, targets, Y, 0.5, np.tile([0.3, -0.2], (n, 1)), noise=0.4,
                       rng=np.random.default_rng(0))
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.02)
    cov = 0.4 * np.linalg.inv(Y.T @ Y + 0.5 * np.eye(2))
    np.testing.assert_allclose(np.cov(draws.T), cov, rtol=0.05, atol=1e-3)


# Primal and dual solutions; alpha 4 on 40 columns: rows on both sides of leverage 1/2.
@pytest.mark.parametrize("n_cols, alpha", [(3, 0.5), (40, 0.5), (40, 4.0)])
def test_projection_priors_are_leave_one_out(n_cols, alpha):
    rng = np.random.RandomState(0)
    H, F = rng.rand(12, n_cols), rng.rand(12, 2)
    A, loo = _Projection(H, alpha).fit(F)
    Hb = np.hstack([H, np.ones((12, 1))])
    np.testing.assert_allclose(A, np.linalg.solve(Hb.T @ Hb + alpha * np.eye(n_cols + 1),
                                                  Hb.T @ F), rtol=1e-6, atol=1e-8)
    hat = Hb @ np.linalg.solve(Hb.T @ Hb + alpha * np.eye(n_cols + 1), Hb.T)
    leverage = np.diag(hat)
    for r in range(12):
        if leverage[r] > 0.5:
            # Damped: the divisor 1 - leverage is floored at 1/2.
            np.testing.assert_allclose(loo[r], (hat[r] @ F - leverage[r] * F[r]) / 0.5,
                                       rtol=1e-6, atol=1e-8)
            continue
        rest = np.delete(np.arange(12), r)
        A_r = np.linalg.solve(Hb[rest].T @ Hb[rest] + alpha * np.eye(n_cols + 1),
                              Hb[rest].T @ F[rest])
        np.testing.assert_allclose(loo[r], Hb[r] @ A_r, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- MDACFRegressor
def test_mdacf_learns_and_is_reproducible():
    X, y, users, _ = _taste_data()
    model = _mdacf().fit(X, y)
    rmse = np.sqrt(np.mean((model.predict(X) - y) ** 2))
    assert rmse < 0.5 * np.std(y)
    assert model.n_iter_ == len(model.loss_curve_) and model.loss_curve_[-1] < model.loss_curve_[0]
    again = clone(model).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    # 20 posterior draws of 2 factors side by side; the biases are their means.
    assert model.user_factors_.shape == (40, 40) and model.item_bias_.shape == (12,)
    assert _mdacf(n_draws=0).fit(X, y).user_factors_.shape == (40, 2)


def test_mdacf_cold_start_users_from_features():
    X, y, users, group = _taste_data(n_users=60)
    train = X[:, 0] < 45  # users 45..59 have no rating in fit
    model = _mdacf()
    model.fit(X[train], y[train], user_features=users)
    cold = ~train
    pred = model.predict(X[cold])  # described by the table given to fit
    rmse = np.sqrt(np.mean((pred - y[cold]) ** 2))
    rmse_items = np.sqrt(np.mean((model.item_mean_[X[cold, 1]] - y[cold]) ** 2))
    assert rmse < 0.6 * rmse_items  # the features, not the item means, tell the taste
    # The same from a table given to predict only, looked up first.
    flipped = users.assign(group=1.0 - users["group"])
    pred_flipped = model.predict(X[cold], user_features=flipped.loc[45:])
    assert np.sqrt(np.mean((pred_flipped - y[cold]) ** 2)) > rmse_items
    # Without features anywhere: the item mean (the fallback of AutoRecRegressor).
    plain = _mdacf().fit(X[train], y[train])
    np.testing.assert_allclose(plain.predict(X[cold]), plain.item_mean_[X[cold, 1]])


def test_mdacf_cold_start_users_shift_the_item_means():
    # Ratings = an item effect + a user effect that a feature tells (plus noise): a cold user
    # should get the item means shifted by what its feature says (issue 27).
    rng = np.random.RandomState(0)
    n_users, n_items = 120, 30
    item_effect, lenient = rng.normal(0, 0.7, n_items), rng.normal(0, 1, n_users)
    X = np.array([(u, i) for u in range(n_users) for i in rng.choice(n_items, 10, False)])
    y = np.clip(3 + item_effect[X[:, 1]] + 0.6 * lenient[X[:, 0]]
                + rng.normal(0, 0.4, len(X)), 1, 5)
    users = pd.DataFrame({"lenient": lenient, "noise": rng.rand(n_users)})
    train = X[:, 0] < 90
    model = _mdacf().fit(X[train], y[train], user_features=users)
    rmse = lambda p: np.sqrt(np.mean((p - y[~train]) ** 2))  # noqa: E731
    new = rmse(model.predict(X[~train]))
    items_only = rmse(model.item_mean_[X[~train, 1]])
    model._user_side.bias_from_features = None  # the former bias, projected
    former = rmse(model.predict(X[~train]))
    # 0.384 against 0.641 for the item means and 0.387 for the former projected bias.
    assert new < items_only - 0.2 and new <= former, (new, items_only, former)


def test_mdacf_fallbacks_never_nan():
    X, y, users, _ = _taste_data()
    items = pd.DataFrame({"first_half": (np.arange(12) < 6).astype(float)})
    model = _mdacf()
    model.fit(X, y, user_features=users, item_features=items)
    new_user = pd.DataFrame({"group": [1.0], "noise": [0.5]}, index=[100])
    pairs = np.array([[0, 50], [100, 50], [200, 50], [200, 3], [0, 3], [100, 3]])
    pred = model.predict(pairs, user_features=new_user)
    assert np.isfinite(pred).all()
    assert pred[0] == model.user_mean_[0]  # seen user, item known from nothing
    # user from features, item known from nothing: mu + the user's predicted bias
    assert pred[1] == pytest.approx(np.clip(
        model.global_mean_ + model._user_side.cold_factors([[1.0, 0.5]])[0, -1], 1, 5))
    assert pred[2] == model.global_mean_  # nothing known of either
    assert pred[3] == model.item_mean_[3]  # unseen user without features, seen item
    assert pred[4] != model.user_mean_[0] and pred[5] != model.item_mean_[3]  # the model


def test_mdacf_string_ids_pandas_and_pickle():
    X, y, users, _ = _taste_data()
    Xs = pd.DataFrame({"user": [f"u{u}" for u in X[:, 0]], "item": [f"i{i}" for i in X[:, 1]]})
    table = users.set_axis([f"u{u}" for u in users.index])
    model = _mdacf().fit(Xs, y, user_features=table)
    assert list(model.feature_names_in_) == ["user", "item"]
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict(Xs), model.predict(Xs))
    before = {k: v for k, v in vars(model).items() if isinstance(v, (float, int, tuple))}
    model.predict(Xs[::-1])
    assert before == {k: v for k, v in vars(model).items() if isinstance(v, (float, int, tuple))}
    # Predictions do not depend on the order or the company of the pairs.
    np.testing.assert_allclose(model.predict(Xs[::-1])[::-1], model.predict(Xs))
    np.testing.assert_allclose(model.predict(Xs[:5]), model.predict(Xs)[:5])
    with pytest.raises(ValueError, match="NaN|infinity"):
        model.fit(Xs, np.where(np.arange(len(y)) == 3, np.nan, y))


def test_mdacf_array_tables_and_feature_table_wrapper():
    X, y, users, _ = _taste_data()
    by_frame = _mdacf().fit(X, y, user_features=users)
    by_array = _mdacf().fit(
        X, y, user_features=users.to_numpy())
    by_sparse = _mdacf().fit(
        X, y, user_features=FeatureTable(sp.csr_matrix(users.to_numpy())))
    for other in (by_array, by_sparse):
        np.testing.assert_allclose(other.predict(X), by_frame.predict(X))


@pytest.mark.parametrize("table, match", [
    (lambda u: u.drop(index=[3, 17]), r"no row for 2 user ids .*\[3, 17\]"),
    (lambda u: u.to_numpy()[:30], r"has 30 rows \(row k describes id k\), too few"),
    (lambda u: u.assign(noise=np.where(u.index == 5, np.nan, u["noise"])), r"NaN .*ids \[5\]"),
    (lambda u: u.assign(city="x"), r"columns \['city'\] are not"),
    (lambda u: pd.concat([u, u.iloc[:1]]), r"several rows for the ids \[0\]"),
    (lambda u: u.to_numpy()[:, 0], "must be 2-D"),
])
def test_mdacf_feature_table_errors(table, match):
    X, y, users, _ = _taste_data()
    with pytest.raises(ValueError, match=match):
        _mdacf(max_iter=2).fit(X, y, user_features=table(users))


def test_mdacf_failed_fit_leaves_the_model_as_it_was():
    X, y, users, _ = _taste_data()
    model = _mdacf().fit(X, y, user_features=users)
    before = model.predict(X)
    with pytest.raises(ValueError, match="no row for"):
        model.fit(X, y, user_features=users.drop(index=[3]))
    np.testing.assert_array_equal(model.predict(X), before)
    assert model._user_side.table.shape == (40, 2)


def test_mdacf_predict_tables_are_checked_when_every_id_was_seen():
    # Seen ids need no table, but a wrong one is still an error (it was ignored until an
    # unseen id appeared).
    X, y, users, _ = _taste_data()
    model = _mdacf(max_iter=3).fit(X, y, user_features=users)
    with pytest.raises(ValueError, match="has 1 columns; the table given to fit had 2"):
        model.predict(X[:5], user_features=users[["group"]])
    with pytest.raises(ValueError, match="fitted without item_features"):
        model.predict(X[:5], item_features=pd.DataFrame({"a": [1.0]}, index=[0]))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(X[:5], user_features=users.assign(noise=np.nan))
    plain = _mdacf(max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="fitted without user_features"):
        plain.predict(X[:5], user_features=users)
    np.testing.assert_array_equal(model.predict(X[:5], user_features=users),
                                  model.predict(X[:5]))


def test_mdacf_predict_table_errors():
    X, y, users, _ = _taste_data()
    model = _mdacf(max_iter=3).fit(X, y, user_features=users)
    with pytest.raises(ValueError, match="has 1 columns; the table given to fit had 2"):
        model.predict([[99, 0]], user_features=pd.DataFrame({"group": [1.0]}, index=[99]))
    with pytest.raises(ValueError, match="fitted without item_features"):
        model.predict([[0, 99]], item_features=pd.DataFrame({"a": [1.0]}, index=[99]))
    with pytest.raises(ValueError, match="expecting 2 features"):
        model.predict(np.zeros((3, 3)))


@pytest.mark.parametrize("params", [{"input_ratings": "values"}, {"input_ratings": "none"},
                                    {"n_layers": 2}, {"weighted_coupling": True},
                                    {"n_draws": 0}])
def test_mdacf_variants_fit_and_cold_start(params):
    X, y, users, _ = _taste_data(n_users=50)
    train = X[:, 0] < 40
    model = _mdacf(**params)
    model.fit(X[train], y[train], user_features=users)
    pred = model.predict(X[~train])
    assert np.isfinite(pred).all()
    assert np.sqrt(np.mean((pred - y[~train]) ** 2)) < np.std(y)


def test_mdacf_beats_global_mean_on_cold_start_users_movielens():
    data_home_or_skip(ML100K + "u.data", ML100K + "u.user", ML100K + "u.item")
    from skae.datasets import (
        load_movielens,
        load_movielens_items,
        load_movielens_users,
        make_movielens_transformer,
    )

    ratings = load_movielens("100k")
    users, items = load_movielens_users(), load_movielens_items()
    user_x = pd.DataFrame(make_movielens_transformer("users").fit_transform(users),
                          index=users.index)
    item_x = pd.DataFrame(make_movielens_transformer("items").fit_transform(items),
                          index=items.index)
    rng = np.random.RandomState(0)
    cold_users = rng.choice(users.index, size=len(users) // 5, replace=False)
    cold = ratings["user"].isin(cold_users).to_numpy()
    X, y = ratings[["user", "item"]].to_numpy(), ratings["rating"].to_numpy(float)
    model = MDACFRegressor(n_components=10, max_iter=8, n_draws=5, random_state=0)
    model.fit(X[~cold], y[~cold], user_features=user_x, item_features=item_x)
    rmse = np.sqrt(np.mean((model.predict(X[cold]) - y[cold]) ** 2))
    rmse_global = np.sqrt(np.mean((y[~cold].mean() - y[cold]) ** 2))
    assert rmse < rmse_global - 0.05


# ---------------------------------------------------------------- CDL
def _genre_data(n_users=60, n_items=30, seed=0):
    """Two kinds of items (a genre flag says which); each user likes one kind."""
    rng = np.random.RandomState(seed)
    kind = np.arange(n_items) % 2
    genres = np.column_stack([kind, 1 - kind, rng.rand(n_items) < 0.5]).astype(float)
    taste = rng.randint(0, 2, n_users)
    likes = (kind[None, :] == taste[:, None]) & (rng.rand(n_users, n_items) < 0.5)
    noise = rng.rand(n_users, n_items) < 0.03
    return (likes | noise).astype(np.float32), genres, taste


def _cdl(**params):
    from skae import CDL

    return CDL(**{"n_components": 4, "hidden_layer_sizes": (16,), "max_iter": 30,
                  "batch_size": 5, "random_state": 0, **params})


def test_cdl_scores_new_items_from_their_genres():
    X, genres, taste = _genre_data()
    model = _cdl().fit(X, item_features=genres)
    new = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # one new item of each kind
    scores = model.predict_scores(X, item_features=np.vstack([genres, new]))
    assert scores.shape == (60, 32)
    # The same user ranks the two new items differently, as its taste says.
    prefers_first = scores[:, 30] > scores[:, 31]
    assert np.mean(prefers_first == (taste == 1)) > 0.9  # the first is of kind 1
    # The same from a DataFrame: ids that are not catalogue columns are the new items.
    table = pd.DataFrame(np.vstack([genres, new]), index=[*range(30), 100, 101])
    np.testing.assert_allclose(model.predict_scores(X, item_features=table), scores,
                               rtol=1e-5, atol=1e-6)
    items = model.recommend(X[:5], n=3, item_features=table)
    assert items.shape == (5, 3) and items.max() < 32


def test_cdl_cold_catalogue_items_are_scored_from_content():
    X, genres, taste = _genre_data()
    cold = np.arange(30) >= 24
    X_train = X.copy()
    X_train[:, cold] = 0  # the catalogue knows them, the history does not
    model = _cdl().fit(X_train, item_features=genres)
    np.testing.assert_array_equal(model.cold_items_, cold)
    scores = model.predict_scores(X_train)[:, cold]
    from skae.metrics import recall_at_k

    truth = X[:, cold]
    rows = truth.sum(axis=1) > 0
    recall = recall_at_k(truth[rows], scores[rows], k=2)
    random = recall_at_k(truth[rows], np.random.RandomState(1).rand(*scores[rows].shape), k=2)
    assert recall > random + 0.3
    # Their factors are their codes (the paper's out-of-matrix rule).
    codes = model.encode_items(genres)
    assert codes.shape == (30, 4) and codes.dtype == np.float32
    np.testing.assert_allclose(model.item_factors_[cold], codes[cold], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="has 2 columns"):
        model.encode_items(genres[:, :2])


def test_cdl_fold_in_is_the_closed_form_user_update():
    X, genres, _ = _genre_data()
    model = _cdl(max_iter=3, b=0.05).fit(X, item_features=genres)
    V, cold = model.item_factors_.astype(np.float64), model.cold_items_
    x = X[7] > 0
    gram = (0.05 * V[~cold].T @ V[~cold] + (1 - 0.05) * V[x].T @ V[x]
            + model.lambda_u * np.eye(4))
    u = np.linalg.solve(gram, V[x].sum(axis=0))
    np.testing.assert_allclose(model.transform(X[7:8])[0], u, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.predict_scores(X[7:8])[0], V @ u, rtol=1e-4, atol=1e-5)


def test_cdl_without_features_and_with_string_columns():
    X, genres, _ = _genre_data()
    plain = _cdl(max_iter=3).fit(X)
    assert plain.predict_scores(X).shape == (60, 30)
    with pytest.raises(ValueError, match="fitted without item features"):
        plain.predict_scores(X, item_features=genres)
    names = [f"film{j}" for j in range(30)]
    frame = pd.DataFrame(X, columns=names)
    table = pd.DataFrame(genres, index=names).iloc[::-1]  # looked up by id: any row order
    by_name = _cdl(max_iter=3).fit(frame, item_features=table)
    by_row = _cdl(max_iter=3).fit(X, item_features=genres)
    assert list(by_name.item_ids_) == names
    np.testing.assert_allclose(by_name.predict_scores(frame), by_row.predict_scores(X),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("wrap", [lambda t: t, FeatureTable], ids=["array", "FeatureTable"])
def test_cdl_named_columns_with_a_positional_table(wrap):
    # Row k of an array table describes column k of X, whatever the columns' names; it was
    # refused: "has 30 rows (row k describes id k), too few for 30 item ids".
    X, genres, _ = _genre_data()
    frame = pd.DataFrame(X, columns=[f"film{j}" for j in range(30)])
    by_name = _cdl(max_iter=3).fit(frame, item_features=wrap(genres))
    by_row = _cdl(max_iter=3).fit(X, item_features=genres)
    assert list(by_name.item_ids_) == list(frame.columns)
    np.testing.assert_allclose(by_name.predict_scores(frame), by_row.predict_scores(X),
                               rtol=1e-5, atol=1e-6)
    new_item = np.vstack([genres, [[1.0, 0.0, 1.0]]])
    np.testing.assert_allclose(by_name.predict_scores(frame, item_features=new_item),
                               by_row.predict_scores(X, item_features=new_item),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="has 29 rows but X has 30 columns"):
        _cdl(max_iter=1).fit(frame, item_features=wrap(genres[:29]))


def test_cdl_feature_errors_name_the_ids_or_rows():
    from skae import CDL

    X, genres, _ = _genre_data()
    with pytest.raises(ValueError, match="has 29 rows but X has 30 columns"):
        _cdl(max_iter=1).fit(X, item_features=genres[:29])
    with pytest.raises(ValueError, match=r"no row for 2 item ids .*\[4, 9\]"):
        _cdl(max_iter=1).fit(X, item_features=pd.DataFrame(genres).drop(index=[4, 9]))
    bad = genres.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN .*rows \[3\]"):
        _cdl(max_iter=1).fit(X, item_features=bad)
    model = _cdl(max_iter=1).fit(X, item_features=genres)
    with pytest.raises(ValueError, match="has 2 columns; the table given to fit had 3"):
        model.predict_scores(X, item_features=genres[:, :2])
    with pytest.raises(ValueError, match="needs the 30 catalogue items first"):
        model.recommend(X, item_features=genres[:5])
    with pytest.raises(ValueError, match="a > b"):
        CDL(a=0.01, b=0.01).fit(X)


def test_cdl_warm_start_pickle_and_determinism():
    X, genres, _ = _genre_data()
    model = _cdl(max_iter=2, warm_start=True).fit(X, item_features=genres)
    model.fit(X, item_features=genres)
    assert model.n_iter_ == 4
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_scores(X), model.predict_scores(X))
    a = _cdl(max_iter=2).fit(X, item_features=genres).predict_scores(X)
    b = _cdl(max_iter=2).fit(X, item_features=genres).predict_scores(X)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="needs item_features exactly when"):
        model.fit(X)


def test_cdl_cold_start_items_movielens_beat_random():
    data_home_or_skip(ML100K + "u.data", ML100K + "u.item")
    from skae.datasets import load_movielens, load_movielens_items, make_movielens_transformer
    from skae.metrics import recall_at_k

    ratings, items = load_movielens("100k"), load_movielens_items()
    features = pd.DataFrame(make_movielens_transformer("items").fit_transform(items),
                            index=items.index)
    liked = ratings[ratings["rating"] >= 4]
    X = pd.crosstab(liked["user"], liked["item"]).reindex(columns=items.index, fill_value=0)
    X.columns = X.columns.astype(str)
    features.index = features.index.astype(str)
    rng = np.random.RandomState(0)
    cold = rng.rand(X.shape[1]) < 0.2
    X_train = X.to_numpy(np.float32) * ~cold
    model = _cdl(n_components=10, hidden_layer_sizes=(32,), max_iter=6)
    model.fit(pd.DataFrame(X_train, columns=X.columns), item_features=features)
    scores = model.predict_scores(pd.DataFrame(X_train, columns=X.columns))[:, cold]
    truth = X.to_numpy()[:, cold]
    rows = truth.sum(axis=1) > 0
    recall = recall_at_k(truth[rows], scores[rows], k=20)
    random = recall_at_k(truth[rows], rng.rand(rows.sum(), cold.sum()), k=20)
    assert recall > 2 * random


# ---------------------------------------------------------------- metadata routing
def test_routing_cross_validate_and_grid_search_mdacf():
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV, KFold, cross_validate

    X, y, users, _ = _taste_data()
    cv = KFold(3, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        model = _mdacf().set_fit_request(user_features=True)
        result = cross_validate(model, X, y, cv=cv, params={"user_features": users},
                                scoring="neg_root_mean_squared_error", return_estimator=True)
        # Each fold's model saw the whole table.
        for est, (train, _) in zip(result["estimator"], cv.split(X)):
            manual = _mdacf().fit(X[train], y[train], user_features=users)
            np.testing.assert_allclose(est.user_factors_, manual.user_factors_)
        search = GridSearchCV(model, {"coupling_weight": [0.5, 5.0]}, cv=cv,
                              scoring="neg_root_mean_squared_error")
        search.fit(X, y, user_features=users)
        assert search.best_estimator_._user_side.table.shape == (40, 2)
        # Without the request, routing refuses the metadata rather than dropping it.
        with pytest.raises(ValueError, match="user_features"):
            cross_validate(_mdacf(), X, y, cv=cv, params={"user_features": users})


def test_routing_pipeline_passes_tables_to_fit_and_predict():
    from sklearn import config_context
    from sklearn.pipeline import make_pipeline

    X, y, users, _ = _taste_data(n_users=50)
    train = X[:, 0] < 40
    with config_context(enable_metadata_routing=True):
        model = _mdacf().set_fit_request(user_features=True)
        model.set_predict_request(user_features=True)
        pipe = make_pipeline(model).fit(X[train], y[train], user_features=users.loc[:39])
        got = pipe.predict(X[~train], user_features=users.loc[40:])
    direct = _mdacf().fit(X[train], y[train], user_features=users.loc[:39])
    np.testing.assert_allclose(got, direct.predict(X[~train], user_features=users.loc[40:]))


def test_routing_table_as_long_as_the_samples_is_never_split():
    from sklearn import config_context
    from sklearn.model_selection import KFold, cross_validate

    X, y, users, _ = _taste_data(n_users=40)
    n = len(X)  # 320 ratings: give the user table exactly as many rows
    table = pd.DataFrame({"group": np.r_[users["group"], np.zeros(n - 40)],
                          "noise": np.r_[users["noise"], np.zeros(n - 40)]})
    assert len(table) == n
    cv = KFold(2, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        model = _mdacf().set_fit_request(user_features=True)
        wrapped = cross_validate(model, X, y, cv=cv, return_estimator=True,
                                 params={"user_features": FeatureTable(table)})
        for est in wrapped["estimator"]:
            assert est._user_side.table.shape == (n, 2)  # the whole table reached fit
        # Unwrapped, scikit-learn cuts it to the training rows like X; looked up by id, the
        # cut table is caught (ids are missing) and the error says what to do.
        with pytest.raises(ValueError, match=r"no row for .* user ids.*FeatureTable"):
            cross_validate(model, X, y, cv=cv, error_score="raise",
                           params={"user_features": table})


def test_routing_cdl_cross_validate_grid_search_and_square_data():
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV, KFold, cross_validate

    X, genres, _ = _genre_data(n_users=30, n_items=30)  # as many users as items
    cv = KFold(2, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        model = _cdl(max_iter=3).set_fit_request(item_features=True)
        result = cross_validate(model, X, cv=cv, return_estimator=True,
                                params={"item_features": FeatureTable(genres)})
        assert np.isfinite(result["test_score"]).all()
        for est in result["estimator"]:
            assert est._content_width == 3 and est.item_factors_.shape == (30, 4)
        search = GridSearchCV(model, {"lambda_v": [1.0, 10.0]}, cv=cv)
        search.fit(X, item_features=FeatureTable(genres))
        assert search.best_params_["lambda_v"] in (1.0, 10.0)
        # A bare 30-row array is cut to the 15 training users' rows: a clear error.
        with pytest.raises(ValueError, match="has 15 rows but X has 30 columns.*FeatureTable"):
            cross_validate(model, X, cv=cv, error_score="raise",
                           params={"item_features": genres})


def test_mdacf_factors_gathered_a_block_at_a_time(monkeypatch):
    # The factors of every posterior draw lie side by side (thousands of numbers a pair), so
    # predict and the cold-start weight gather them a block of pairs at a time: blocks of any
    # size give the same predictions and weight as one block.
    from skae.recommenders import _mdacf_parts

    X, y, users, _ = _taste_data(n_users=60)
    train = X[:, 0] < 45
    monkeypatch.setattr(_mdacf_parts, "BLOCK_NUMBERS", 10 ** 12)
    whole = _mdacf().fit(X[train], y[train], user_features=users)
    monkeypatch.setattr(_mdacf_parts, "BLOCK_NUMBERS", 7 * whole.user_factors_.shape[1])
    blocks = _mdacf().fit(X[train], y[train], user_features=users)
    assert _mdacf_parts.pairs_per_block(whole.user_factors_.shape[1] + 1) == 6
    assert blocks._user_side.model_weight == whole._user_side.model_weight
    np.testing.assert_allclose(blocks.predict(X), whole.predict(X), rtol=0, atol=1e-12)
    assert len(blocks.predict(X[:1])) == 1
