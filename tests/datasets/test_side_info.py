"""Tests of MovieLens' side information: movies, users, and the recipe that makes them numeric."""

import pickle

import numpy as np
import pytest

from skae.datasets import (
    load_movielens,
    load_movielens_items,
    load_movielens_users,
    make_movielens_transformer,
)
from skae.datasets._movielens import GENRES_1M, GENRES_100K, OCCUPATIONS_1M

pd = pytest.importorskip("pandas")

ML100K = "movielens/ml-100k/"
ML1M = "movielens/ml-1m/"


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("latin-1"))


# ---------------------------------------------------------------- real data
def test_100k_items_facts(require_data):
    require_data(ML100K + "u.item", ML100K + "u.data")
    items = load_movielens_items("100k")
    assert items.shape == (1682, 2 + 19)
    assert items.index.name == "item" and items.index.dtype == np.int64
    assert list(items.columns) == ["title", "year", *GENRES_100K]
    # The index holds the ids of the ratings: the table can be looked up by them directly.
    assert set(items.index) == set(load_movielens("100k")["item"])
    assert items.index.is_unique
    assert items["Drama"].sum() == 725 and items["unknown"].sum() == 2
    assert items.index[items["year"].isna()].tolist() == [267]  # no title, no date
    assert items["year"].min() == 1922 and items["year"].max() == 1998
    assert items.loc[1, "title"] == "Toy Story"
    # "(1995) (V)": the year is still read, the title keeps no parentheses of it.
    assert items.loc[1412, "year"] == 1995 and "(" not in items.loc[1412, "title"][-6:]
    assert (items[list(GENRES_100K)].to_numpy() <= 1).all()


def test_100k_users_facts(require_data):
    require_data(ML100K + "u.user", ML100K + "u.data")
    users = load_movielens_users("100k")
    assert users.shape == (943, 4) and users.index.name == "user"
    assert list(users.columns) == ["age", "gender", "occupation", "zip_code"]
    assert set(users.index) == set(load_movielens("100k")["user"])
    assert users["gender"].value_counts().to_dict() == {"M": 670, "F": 273}
    assert users["occupation"].nunique() == 21
    assert users.loc[1].astype(str).tolist() == ["24", "M", "technician", "85711"]
    assert users["zip_code"].map(type).eq(str).all()  # "T8H1N" and leading zeros kept


def test_1m_items_and_users_facts(require_data):
    require_data(ML1M + "movies.dat", ML1M + "users.dat")
    items = load_movielens_items("1m")
    assert items.shape == (3883, 2 + 18) and list(items.columns[2:]) == list(GENRES_1M)
    assert items["Drama"].sum() == 1603 and not items["year"].isna().any()
    assert items.loc[1, "title"] == "Toy Story" and items.loc[1, "year"] == 1995
    users = load_movielens_users("1m")
    assert users.shape == (6040, 4)
    assert users["gender"].value_counts().to_dict() == {"M": 4331, "F": 1709}
    assert set(users["age"]) == {1, 18, 25, 35, 45, 50, 56}
    assert set(users["occupation"]) <= set(OCCUPATIONS_1M)
    assert users.loc[1, "occupation"] == "K-12 student"  # code 10


def test_1m_partial_reads_the_side_files_of_1m(require_data):
    require_data(ML1M + "movies.dat", ML1M + "users.dat",
                 "movielens/ml-1m-partial/ratings-first-487650-lines.dat.gz")
    ratings = load_movielens("1m-partial")
    items, users = load_movielens_items("1m-partial"), load_movielens_users("1m-partial")
    assert set(ratings["item"]) <= set(items.index)
    assert set(ratings["user"]) <= set(users.index)


def test_recipe_on_real_tables(require_data):
    require_data(ML100K + "u.item", ML100K + "u.user")
    items, users = load_movielens_items(), load_movielens_users()
    ct = make_movielens_transformer("items", title_min_df=5)
    features = pd.DataFrame(ct.fit_transform(items), index=items.index)
    names = ct.get_feature_names_out()
    assert features.shape == (1682, len(names)) and features.notna().all().all()
    assert sum(n.startswith("genres__") for n in names) == 19
    assert any(n.startswith("title__") for n in names)
    ctu = make_movielens_transformer("users")
    U = ctu.fit_transform(users)
    assert U.shape[0] == 943 and np.isfinite(U).all()
    pickle.loads(pickle.dumps(ctu))  # module-level helpers only: picklable


# ---------------------------------------------------------------- synthetic files
U_ITEM = (
    "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "2|Old Film (1950) (V)|||http://x|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "7|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "9|Café Society (1995)|01-Jan-1996||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
)
U_USER = "1|24|M|technician|85711\n5|33|F|other|T8H1N\n"
MOVIES = "1::Toy Story (1995)::Animation|Children's|Comedy\n4::Heat (1995)::Action|Crime\n"
USERS = "1::F::1::10::48067\n2::M::56::0::70072\n"


@pytest.fixture
def home(tmp_path):
    _write(tmp_path / ML100K / "u.item", U_ITEM)
    _write(tmp_path / ML100K / "u.user", U_USER)
    _write(tmp_path / ML1M / "movies.dat", MOVIES)
    _write(tmp_path / ML1M / "users.dat", USERS)
    return tmp_path


def test_100k_parsers(home):
    items = load_movielens_items(data_home=home)
    assert items.index.tolist() == [1, 2, 7, 9]
    assert items["title"].tolist() == ["Toy Story", "Old Film", "unknown", "Café Society"]
    # The release date's year first (1996 for item 9), else the title's, else NaN.
    np.testing.assert_array_equal(items["year"], [1995, 1950, np.nan, 1996])
    assert items.loc[7, "unknown"] == 1 and items.loc[2, "Action"] == 1
    assert items[list(GENRES_100K)].dtypes.eq(np.uint8).all()
    users = load_movielens_users(data_home=home)
    assert users.index.tolist() == [1, 5] and users.loc[5, "zip_code"] == "T8H1N"


def test_1m_parsers(home):
    items = load_movielens_items("1m", data_home=home)
    assert items.loc[1, ["Animation", "Children's", "Comedy", "Drama"]].tolist() == [1, 1, 1, 0]
    assert items.loc[4, ["Action", "Crime"]].tolist() == [1, 1]
    users = load_movielens_users("1m", data_home=home)
    assert users["occupation"].tolist() == ["K-12 student", "other"]
    assert users["age"].tolist() == [1, 56] and users["gender"].tolist() == ["F", "M"]


@pytest.mark.parametrize("loader, relpath, text, match", [
    (load_movielens_items, ML100K + "u.item", "1|Toy Story (1995)|x\n", "fields"),
    (load_movielens_users, ML100K + "u.user", "1|24|M|technician\n", "fields"),
    (load_movielens_users, ML100K + "u.user", "a|24|M|technician|1\n", "not a valid"),
])
def test_malformed_files(tmp_path, loader, relpath, text, match):
    _write(tmp_path / relpath, text)
    with pytest.raises(ValueError, match=match):
        loader(data_home=tmp_path)


def test_unknown_occupation_code(tmp_path):
    _write(tmp_path / ML1M / "users.dat", "1::F::1::21::48067\n")
    with pytest.raises(ValueError, match="occupation code"):
        load_movielens_users("1m", data_home=tmp_path)


@pytest.mark.parametrize("loader", [load_movielens_items, load_movielens_users])
def test_missing_file_and_bad_variant(tmp_path, loader):
    with pytest.raises(FileNotFoundError, match="download_if_missing=True"):
        loader(data_home=tmp_path)
    with pytest.raises(ValueError, match="variant must be one of"):
        loader("10m", data_home=tmp_path)


def test_recipe_synthetic(home):
    items = load_movielens_items(data_home=home)
    ct = make_movielens_transformer("items", title_min_df=1)
    X = ct.fit_transform(items)
    names = list(ct.get_feature_names_out())
    assert X.dtype == np.float64 and np.isfinite(X).all()  # item 7's missing year imputed
    assert X.shape == (4, 19 + 1 + len([n for n in names if n.startswith("title__")]))
    assert "title__toy" in names and "title__the" not in names  # English stop words left out
    users = load_movielens_users(data_home=home)
    ctu = make_movielens_transformer("users").fit(users)
    new = pd.DataFrame({"age": [40], "gender": ["X"], "occupation": ["astronaut"],
                        "zip_code": ["0"]})
    row = ctu.transform(new)[0]
    names = list(ctu.get_feature_names_out())
    # Categories never seen encode to zeros.
    assert row[names.index("category__gender_M")] == 0 and row[1:].sum() == 0


@pytest.mark.parametrize("args, kwargs, match", [
    (("movies",), {}, "kind must be"),
    (("users",), {"title_min_df": 2}, "only for kind='items'"),
    (("items",), {"title_min_df": 0}, "positive int"),
])
def test_recipe_invalid_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_movielens_transformer(*args, **kwargs)
