"""Long interaction tables in, item ids out, for every top-N recommender (issue 30)."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import CDAE, CDL, EASE, MultDAE, MultVAE
from skae.recommenders import Interactions, interaction_matrix
from tests.conftest import data_home_or_skip

pd = pytest.importorskip("pandas")

FAST = {
    "CDAE": lambda: CDAE(n_components=4, max_iter=2, random_state=0),
    "MultDAE": lambda: MultDAE(n_components=4, hidden_layer_sizes=(8,), max_iter=2,
                               random_state=0),
    "MultVAE": lambda: MultVAE(n_components=4, hidden_layer_sizes=(8,), max_iter=2,
                               random_state=0),
    "EASE": lambda: EASE(alpha=5.0),
    "CDL": lambda: CDL(n_components=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0),
}


@pytest.fixture(autouse=True)
def _few_epochs():
    # Two epochs on purpose: the ConvergenceWarning that says so is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _ratings(n_users=30, n_items=25, n=300, seed=0):
    """A MovieLens-shaped table: non-contiguous item ids, string users, ratings, timestamps."""
    rng = np.random.RandomState(seed)
    return pd.DataFrame({
        "user": [f"u{k}" for k in rng.randint(0, n_users, n)],
        "item": 100 + 7 * rng.randint(0, n_items, n),
        "rating": rng.randint(1, 6, n),
        "timestamp": rng.randint(10**8, 10**9, n),
    })


def test_interaction_matrix_builds_rows_columns_and_ids():
    log = pd.DataFrame({"u": [9, 7, 7, 9, 7], "i": ["b", "a", "b", "b", "c"],
                        "r": [5.0, 2.0, 4.0, 3.0, 1.0]})
    X, users, items = interaction_matrix(log, user="u", item="i")
    assert users.tolist() == [7, 9] and items.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(X.toarray(), [[1, 1, 1], [0, 1, 0]])
    # Ratings as weights: the repeated pair (9, "b") is averaged.
    X, _, _ = interaction_matrix(log, user="u", item="i", rating="r")
    np.testing.assert_array_equal(X.toarray(), [[2, 4, 1], [0, 4, 0]])
    # A threshold keeps ratings >= 4 as interactions of value 1; items "a" and "c" drop out.
    X, users, items = interaction_matrix(log, user="u", item="i", rating="r", threshold=4)
    assert users.tolist() == [7, 9] and items.tolist() == ["b"]
    np.testing.assert_array_equal(X.toarray(), [[1], [1]])
    # A dict of columns works like a DataFrame.
    X2, _, _ = interaction_matrix({"user": [1, 2], "item": [3, 3]})
    np.testing.assert_array_equal(X2.toarray(), [[1], [1]])


@pytest.mark.parametrize("kwargs, match", [
    ({"user": "who"}, "no user column 'who'.*columns are"),
    ({"threshold": 3}, "threshold=3 needs a rating column"),
    ({"rating": "timestamp", "threshold": float("nan")}, "finite"),
])
def test_interaction_matrix_bad_reading_says_why(kwargs, match):
    with pytest.raises(ValueError, match=match):
        interaction_matrix(_ratings(), **kwargs)


def test_interaction_matrix_refuses_negative_and_missing_ratings():
    log = _ratings()
    log.loc[3, "rating"] = -1
    with pytest.raises(ValueError, match="negative values.*threshold"):
        interaction_matrix(log, rating="rating")
    log["rating"] = log["rating"].astype(float)
    log.loc[3, "rating"] = np.nan
    with pytest.raises(ValueError, match="missing or infinite"):
        interaction_matrix(log, rating="rating")
    with pytest.raises(ValueError, match="no interaction"):
        interaction_matrix(_ratings(), rating="rating", threshold=9)


@pytest.mark.parametrize("name", sorted(FAST))
def test_fit_on_a_ratings_table_learns_the_items_and_returns_ids(name):
    ratings = _ratings()
    model = FAST[name]().fit(ratings)
    X, users, items = interaction_matrix(ratings)
    # The table's items, not its four columns.
    assert model.n_features_in_ == len(items) == ratings["item"].nunique()
    np.testing.assert_array_equal(model.item_ids_, items)
    np.testing.assert_array_equal(model.user_encoder_.classes_, users)
    # The same model as on the matrix that interaction_matrix builds.
    on_matrix = FAST[name]().fit(X)
    np.testing.assert_allclose(model.predict_scores(X), on_matrix.predict_scores(X),
                               rtol=1e-5, atol=1e-6)
    # Known users by id: their training rows, answered in item ids.
    some = [users[3], users[0]]
    by_id = model.recommend(users=some, n=4)
    positions = on_matrix.recommend(X[[3, 0]], n=4)
    np.testing.assert_array_equal(by_id, items[positions])
    assert set(by_id.ravel()) <= set(ratings["item"])
    # A seen item is never recommended to its user.
    seen = set(ratings.loc[ratings["user"] == users[3], "item"])
    assert not seen & set(by_id[0])


@pytest.mark.parametrize("name", sorted(FAST))
def test_new_users_folded_in_from_their_items(name):
    ratings = _ratings()
    model = FAST[name]().fit(ratings)
    items = model.item_ids_
    # Two new users; 99999 is an item the model does not know, and is left out.
    new = pd.DataFrame({"user": ["zed", "amy", "zed", "amy"],
                        "item": [items[0], items[1], items[2], 99999]})
    got = model.recommend(new, n=3)
    X = np.zeros((2, len(items)), dtype=np.float32)
    X[0, 1] = 1  # "amy" sorts first
    X[1, [0, 2]] = 1
    np.testing.assert_array_equal(got, items[model.recommend(X, n=3)])
    assert items[1] not in got[0] and not {items[0], items[2]} & set(got[1])
    np.testing.assert_allclose(model.predict_scores(new), model.predict_scores(X), rtol=1e-6)


def test_threshold_and_renamed_columns_through_interactions():
    ratings = _ratings().rename(columns={"user": "userId", "item": "movieId"})
    table = Interactions(ratings, user="userId", item="movieId", rating="rating", threshold=4)
    model = EASE(alpha=5.0).fit(table)
    liked = ratings[ratings["rating"] >= 4]
    assert model.n_features_in_ == liked["movieId"].nunique()
    assert len(model.user_encoder_) == liked["userId"].nunique()


def test_long_table_with_other_column_names_is_refused_with_what_to_do():
    ratings = _ratings().rename(columns={"user": "userId", "item": "movieId"})
    model = CDAE()
    with pytest.raises(ValueError, match=r"long table.*Interactions\(X, user='userId', "
                                         r"item='movieId', rating='rating'"):
        model.fit(ratings)
    assert not hasattr(model, "n_features_in_")


def test_ids_errors_name_the_problem():
    ratings = _ratings()
    model = EASE(alpha=5.0).fit(ratings)
    with pytest.raises(ValueError, match=r"Unknown user ids \['nobody'\]"):
        model.recommend(users=["nobody"])
    with pytest.raises(ValueError, match="either X .* or users"):
        model.recommend(ratings, users=["u1"])
    with pytest.raises(ValueError, match="needs X"):
        model.recommend()
    X, _, _ = interaction_matrix(ratings)
    model.fit(X)  # a matrix fit forgets the ids of the table
    assert model.user_encoder_ is None
    np.testing.assert_array_equal(model.item_ids_, np.arange(X.shape[1]))
    with pytest.raises(ValueError, match="users= needs a EASE fitted on a long table"):
        model.recommend(users=["u1"])


def test_failed_fit_on_a_table_keeps_the_previous_model():
    ratings = _ratings()
    model = CDAE(n_components=4, max_iter=2, random_state=0).fit(ratings)
    before = model.recommend(users=["u1"], n=3)
    with pytest.raises(ValueError, match="no item column"):
        model.fit(Interactions(ratings, item="movie"))
    np.testing.assert_array_equal(model.item_ids_, np.sort(ratings["item"].unique()))
    np.testing.assert_array_equal(model.recommend(users=["u1"], n=3), before)


def test_cdl_item_features_keyed_by_the_tables_item_ids():
    ratings = _ratings()
    ids = np.sort(ratings["item"].unique())
    rng = np.random.RandomState(1)
    # Rows in another order than the catalogue, plus one new item (id 5) to recommend.
    features = pd.DataFrame(rng.rand(len(ids) + 1, 3), index=np.r_[ids[::-1], 5])
    model = CDL(n_components=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    model.fit(ratings, item_features=features)
    got = model.recommend(users=["u1"], n=len(ids) + 1, exclude_seen=False,
                          item_features=features)
    assert sorted(got[0].tolist()) == sorted(np.r_[ids, 5].tolist())


def test_user_guide_walkthrough_ratings_table_to_titles():
    # doc/user_guide.rst, "Top-N recommendation": the same calls and the same answers.
    data_home_or_skip("movielens/ml-100k/u.data", "movielens/ml-100k/u.item")
    from skae.datasets import load_movielens, load_movielens_items

    ratings = load_movielens("100k")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = EASE(alpha=200.0).fit(Interactions(ratings, rating="rating", threshold=4))
    assert (len(model.user_encoder_), model.n_features_in_) == (942, 1447)
    titles = load_movielens_items("100k")["title"]
    assert titles.loc[model.recommend(users=[1], n=5)[0]].tolist() == [
        "Schindler's List", "Trainspotting", "One Flew Over the Cuckoo's Nest",
        "Clockwork Orange, A", "Forrest Gump"]
    me = pd.DataFrame({"user": "me", "item": [50, 181, 172]})
    assert titles.loc[model.recommend(me, n=5)[0]].tolist() == [
        "Raiders of the Lost Ark", "Godfather, The", "Indiana Jones and the Last Crusade",
        "Men in Black", "Toy Story"]
    # Seen movies are never recommended: none of user 1's liked movies come back.
    liked_by_1 = set(ratings.query("user == 1 and rating >= 4")["item"])
    assert not liked_by_1 & set(model.recommend(users=[1], n=50)[0])
