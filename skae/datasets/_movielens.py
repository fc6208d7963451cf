"""MovieLens loaders (GroupLens): ratings, and the side information on movies and users.

MovieLens may not be redistributed without permission from GroupLens, so skae
never ships it: these functions only read files from the data home.
"""

from __future__ import annotations

import gzip
import io
import re

from skae._docs import fill_doc
from skae.datasets._base import _download_and_extract_zip, _import_pandas, _require_file

__all__ = [
    "load_movielens",
    "load_movielens_items",
    "load_movielens_users",
    "make_movielens_transformer",
]

COLUMNS = ("user", "item", "rating", "timestamp")
SPLITS_100K = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")

# Looked up at call time so tests can point them at file:// URLs.
_ZIP_URLS = {
    "100k": "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    "1m": "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
}
# GroupLens publishes md5 sums only; these are the published ones.
_ZIP_CHECKSUMS = {
    "100k": "md5:0e33842e24a9c977be4e0107933c0723",
    "1m": "md5:c4d9eecfca2ab87c1945afe126590906",
}

# variant -> (folder under movielens/, ratings file, field separator)
_VARIANTS = {
    "100k": ("ml-100k", "u.data", "\t"),
    "1m": ("ml-1m", "ratings.dat", "::"),
    "1m-partial": ("ml-1m-partial", "ratings-first-487650-lines.dat.gz", "::"),
}
_HINTS = {
    "1m-partial": (
        "This truncated copy of ML-1M ratings.dat has no public URL; it only exists "
        "in prepared data homes. Use variant='1m' for the full data set."
    ),
}


def _read_ratings(path, sep: str):
    """Parse a ratings file into an int64 DataFrame with COLUMNS."""
    pd = _import_pandas("load_movielens")
    if sep == "\t":
        source = path
    else:
        # pandas only handles multi-character separators with its slow Python
        # engine; rewriting "::" to tabs keeps the fast C parser (user, item,
        # rating and timestamp are integers, so no field contains a tab).
        with gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb") as f:
            source = io.BytesIO(f.read().replace(b"::", b"\t"))
    try:
        # No ``names=``: with it pandas silently moves extra fields into the
        # index, whereas here a wrong field count is caught below.
        df = pd.read_csv(source, sep="\t", header=None, dtype="int64", engine="c")
    except ValueError as exc:
        raise ValueError(f"{path} is not a valid MovieLens ratings file: {exc}") from exc
    if df.shape[1] != len(COLUMNS):
        raise ValueError(
            f"{path} is not a valid MovieLens ratings file: expected {len(COLUMNS)} fields "
            f"(user, item, rating, timestamp) per line, found {df.shape[1]}."
        )
    df.columns = list(COLUMNS)
    return df


def _ratings_path(variant: str, filename: str, data_home, download_if_missing: bool):
    folder = _VARIANTS[variant][0]
    url = _ZIP_URLS.get(variant)
    download = None
    if url is not None:

        def download(home):
            _download_and_extract_zip(
                _ZIP_URLS[variant], home / "movielens" / folder, f"{folder}/",
                _ZIP_CHECKSUMS.get(variant),
            )  # fmt: skip

    return _require_file(
        f"movielens/{folder}/{filename}",
        data_home=data_home,
        download_if_missing=download_if_missing,
        download=download,
        url=url,
        hint=_HINTS.get(variant),
    )


def load_movielens(variant="100k", *, split=None, data_home=None, download_if_missing=False):
    """Load MovieLens ratings as a pandas DataFrame.

    Reads from ``movielens/`` in the data home (``data_home``, else
    ``$SKAE_DATA``, else ``~/skae_data``). Nothing is downloaded unless
    ``download_if_missing=True``. Requires pandas.

    Variants:

    - ``"100k"``: ``movielens/ml-100k/u.data``, 100,000 ratings (1..5) of
      1,682 movies by 943 users; tab separated. Downloadable.
    - ``"1m"``: ``movielens/ml-1m/ratings.dat``, 1,000,209 ratings by 6,040
      users; ``::`` separated. Downloadable.
    - ``"1m-partial"``: ``movielens/ml-1m-partial/ratings-first-487650-lines.dat.gz``,
      the first 487,650 lines of ML-1M ``ratings.dat`` (users 1..2,999).
      It is **NOT the full data set**: use it for parser tests and smoke
      benchmarks, never to compare with published ML-1M numbers.

    MovieLens is for research use only and may not be redistributed; cite
    F. M. Harper and J. A. Konstan (2015), The MovieLens Datasets: History
    and Context, ACM TiiS 5(4).

    Parameters
    ----------
    variant : {"100k", "1m", "1m-partial"}, default="100k"
        Which ratings file to read.
    split : {None, "u1", "u2", "u3", "u4", "u5", "ua", "ub"}, default=None
        ``"100k"`` only. ``None`` returns all ratings; otherwise the
        distribution's train/test split is read from ``<split>.base`` and
        ``<split>.test``. ``u1``..``u5`` are the 80%/20% folds of a 5-fold
        partition; ``ua``/``ub`` hold out exactly 10 ratings per user.
    data_home : str or path-like, default=None
        See :func:`skae.datasets.get_data_home`.
    download_if_missing : bool, default=False
        If True and the file is missing, download the GroupLens zip
        (``"100k"`` and ``"1m"`` only) and extract it into
        ``movielens/ml-100k/`` or ``movielens/ml-1m/`` (checksum verified;
        needs pooch: ``pip install pooch``).

    Returns
    -------
    ratings : pandas.DataFrame
        Columns ``user``, ``item``, ``rating``, ``timestamp`` (all int64;
        ids are the 1-based ids of the files, timestamps Unix seconds),
        in file order. Returned when ``split`` is None.
    (train, test) : tuple of pandas.DataFrame
        Same columns; returned when ``split`` is given.

    Raises
    ------
    ValueError
        Unknown ``variant`` or ``split``, or an unparsable file.
    FileNotFoundError
        The file is missing and not downloaded; the message says where it
        was looked for and how to fix it.
    ImportError
        pandas is not installed, or a download is needed and pooch is not.

    Examples
    --------
    >>> from skae.datasets import load_movielens
    >>> ratings = load_movielens("100k")
    >>> ratings.shape
    (100000, 4)
    >>> list(ratings.columns)
    ['user', 'item', 'rating', 'timestamp']
    >>> ratings["user"].nunique(), ratings["item"].nunique()
    (943, 1682)
    >>> train, test = load_movielens("100k", split="u1")
    >>> len(train), len(test)
    (80000, 20000)
    """
    if variant not in _VARIANTS:
        raise ValueError(f"variant must be one of {tuple(_VARIANTS)}, got {variant!r}.")
    if split is not None and variant != "100k":
        raise ValueError(f"split is only available for variant='100k', got variant={variant!r}.")
    if split is not None and split not in SPLITS_100K:
        raise ValueError(f"split must be None or one of {SPLITS_100K}, got {split!r}.")
    _import_pandas("load_movielens")  # fail on a missing pandas before looking for files
    _, filename, sep = _VARIANTS[variant]
    if split is None:
        return _read_ratings(_ratings_path(variant, filename, data_home, download_if_missing), sep)
    paths = [
        _ratings_path(variant, f"{split}.{part}", data_home, download_if_missing)
        for part in ("base", "test")
    ]
    return tuple(_read_ratings(path, sep) for path in paths)


# -- side information ----------------------------------------------------------------------
# The 19 genres of ML-100K's u.genre, in the order of u.item's flag columns; ML-1M has the same
# genres but "unknown".
GENRES_100K = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)
GENRES_1M = GENRES_100K[1:]
# ML-1M's users.dat codes occupations 0..20; the names are those of its README.
OCCUPATIONS_1M = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
)
# "Toy Story (1995)", also "Land Before Time III: ... (1995) (V)": the last 4-digit year in
# parentheses, and the title before it.
_TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)(?:\s*\([^()]*\))*\s*$")


def _side_variant(variant):
    # "1m-partial" holds the first ratings of ML-1M: its movies and users are ML-1M's.
    if variant not in _VARIANTS:
        raise ValueError(f"variant must be one of {tuple(_VARIANTS)}, got {variant!r}.")
    return "1m" if variant == "1m-partial" else variant


def _read_lines(path, sep, n_fields):
    """Split a latin-1 text file into fields; a line with another number of fields is an error."""
    with open(path, encoding="latin-1") as f:
        rows = [line.rstrip("\r\n").split(sep) for line in f if line.strip()]
    bad = [k + 1 for k, row in enumerate(rows) if len(row) != n_fields]
    if bad:
        raise ValueError(
            f"{path} is not a valid MovieLens file: expected {n_fields} fields separated by "
            f"{sep!r} per line; lines {bad[:5]} differ."
        )
    return rows


def _split_title(raw):
    """``"Toy Story (1995)"`` -> ``("Toy Story", 1995.0)``; NaN when no year is given."""
    match = _TITLE_YEAR.match(raw)
    if match is None:
        return raw.strip(), float("nan")
    return match["title"], float(match["year"])


# The errors of the loaders of the movies' and the users' tables.
_SIDE_TABLE_RAISES = """\
Raises
    ------
    ValueError
        Unknown ``variant`` or a malformed file.
    FileNotFoundError
        The file is missing and not downloaded."""


@fill_doc(side_table_raises=_SIDE_TABLE_RAISES)
def load_movielens_items(variant="100k", *, data_home=None, download_if_missing=False):
    """Load the movies of MovieLens (title, year, genres) as a DataFrame indexed by item id.

    The side information that ships with the ratings of :func:`load_movielens`: for
    ``"100k"`` the file ``u.item`` (title, release date, 19 genre flags), for ``"1m"`` and
    ``"1m-partial"`` the file ``movies.dat`` of ML-1M (title with year, pipe-separated genres).
    The index holds the same item ids as the ``item`` column of the ratings, so the table
    can be passed as it is to the ``item_features`` of skae's hybrid recommenders once its
    columns are numeric (see :func:`make_movielens_transformer`).

    Requires pandas. Nothing is downloaded unless ``download_if_missing=True``.

    Parameters
    ----------
    variant : {"100k", "1m", "1m-partial"}, default="100k"
        Which data set's movies. ``"1m-partial"`` reads ML-1M's ``movies.dat`` (its ratings
        are the first lines of ML-1M's).
    data_home : str or path-like, default=None
        See :func:`skae.datasets.get_data_home`.
    download_if_missing : bool, default=False
        As in :func:`load_movielens`: download and extract the GroupLens zip if the file is
        missing.

    Returns
    -------
    items : pandas.DataFrame
        Indexed by ``item`` (int64, the ids of the files), one row per movie, in file order.
        Columns: ``title`` (str, without the year), ``year`` (float64: the release year of
        ``u.item``'s release date, else the year in the title; NaN for the one ML-100K entry
        without either, item 267), then one 0/1 column (uint8) per genre, named as in the
        files' documentation (``"Action"``, ..., ``"Western"``; ML-100K also has
        ``"unknown"``). A movie may have several genres.

    {side_table_raises}

    See Also
    --------
    load_movielens_users : The users' demographics.
    make_movielens_transformer : A ColumnTransformer that makes the table numeric.

    Examples
    --------
    >>> from skae.datasets import load_movielens_items
    >>> items = load_movielens_items("100k")
    >>> items.shape
    (1682, 21)
    >>> toy_story = items.loc[1]
    >>> toy_story["title"], int(toy_story["year"])
    ('Toy Story', 1995)
    >>> [g for g in items.columns[2:] if toy_story[g]]
    ['Animation', "Children's", 'Comedy']
    """
    pd = _import_pandas("load_movielens_items")
    variant = _side_variant(variant)
    if variant == "100k":
        path = _ratings_path(variant, "u.item", data_home, download_if_missing)
        rows = _read_lines(path, "|", 5 + len(GENRES_100K))
        genres = GENRES_100K
        flags = [[int(v) for v in row[5:]] for row in rows]
        dates = pd.to_datetime([row[2] for row in rows], format="%d-%b-%Y", errors="coerce")
        titles = [_split_title(row[1]) for row in rows]
        years = [float(d.year) if not pd.isna(d) else t[1] for d, t in zip(dates, titles)]
    else:
        path = _ratings_path(variant, "movies.dat", data_home, download_if_missing)
        rows = _read_lines(path, "::", 3)
        genres = GENRES_1M
        flags = [[int(g in set(row[2].split("|"))) for g in genres] for row in rows]
        titles = [_split_title(row[1]) for row in rows]
        years = [t[1] for t in titles]
    index = pd.Index([int(row[0]) for row in rows], name="item", dtype="int64")
    items = pd.DataFrame({"title": [t[0] for t in titles], "year": years}, index=index)
    flag_frame = pd.DataFrame(flags, index=index, columns=list(genres), dtype="uint8")
    return pd.concat([items, flag_frame], axis=1)


@fill_doc(side_table_raises=_SIDE_TABLE_RAISES)
def load_movielens_users(variant="100k", *, data_home=None, download_if_missing=False):
    """Load the users of MovieLens (age, gender, occupation, zip code) indexed by user id.

    The demographics that ship with the ratings of :func:`load_movielens`: ``u.user`` for
    ``"100k"``, ML-1M's ``users.dat`` for ``"1m"`` and ``"1m-partial"``. The index holds the
    same user ids as the ``user`` column of the ratings.

    Requires pandas. Nothing is downloaded unless ``download_if_missing=True``.

    Parameters
    ----------
    variant : {"100k", "1m", "1m-partial"}, default="100k"
        Which data set's users. ``"1m-partial"`` reads ML-1M's ``users.dat``; its ratings
        only involve users 1 to 2,999.
    data_home : str or path-like, default=None
        See :func:`skae.datasets.get_data_home`.
    download_if_missing : bool, default=False
        As in :func:`load_movielens`.

    Returns
    -------
    users : pandas.DataFrame
        Indexed by ``user`` (int64), one row per user, in file order. Columns: ``age``
        (int64: the age in years for ML-100K; for ML-1M the lower bound of the age group the
        user chose, 1 meaning "under 18", then 18, 25, 35, 45, 50, 56), ``gender`` (``"M"``
        or ``"F"``), ``occupation`` (str: ML-100K's names; ML-1M's codes replaced by the names
        of its README, 0 being ``"other"``), ``zip_code`` (str; some are not US codes).

    {side_table_raises}

    See Also
    --------
    load_movielens_items : The movies' titles, years and genres.
    make_movielens_transformer : A ColumnTransformer that makes the table numeric.

    Examples
    --------
    >>> from skae.datasets import load_movielens_users
    >>> users = load_movielens_users("100k")
    >>> users.shape
    (943, 4)
    >>> users.loc[1].astype(str).tolist()
    ['24', 'M', 'technician', '85711']
    """
    pd = _import_pandas("load_movielens_users")
    variant = _side_variant(variant)
    if variant == "100k":
        path = _ratings_path(variant, "u.user", data_home, download_if_missing)
        rows = _read_lines(path, "|", 5)
        ids, ages, genders, occupations, zips = zip(*rows)
    else:
        path = _ratings_path(variant, "users.dat", data_home, download_if_missing)
        rows = _read_lines(path, "::", 5)
        ids, genders, ages, codes, zips = zip(*rows)
        try:
            occupations = [OCCUPATIONS_1M[int(c)] for c in codes]
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{path}: an occupation code is not one of 0..20 ({exc}).") from None
    try:
        index = pd.Index([int(i) for i in ids], name="user", dtype="int64")
        age = [int(a) for a in ages]
    except ValueError as exc:
        raise ValueError(f"{path} is not a valid MovieLens users file: {exc}") from None
    return pd.DataFrame({"age": age, "gender": list(genders), "occupation": list(occupations),
                         "zip_code": list(zips)}, index=index)


def _zip_region(zip_codes):
    """First character of each zip code (the US postal region; a letter for Canada)."""
    import numpy as np

    codes = np.asarray(zip_codes, dtype=object).reshape(len(zip_codes), -1)[:, 0]
    return np.array([[str(z)[:1] or "?"] for z in codes], dtype=object)


def make_movielens_transformer(kind="items", *, title_min_df=None):
    """The recipe that turns :func:`load_movielens_items` or :func:`load_movielens_users`
    into a numeric feature matrix: an unfitted :class:`~sklearn.compose.ColumnTransformer`.

    For movies (``kind="items"``): the genre flags as they are, the year imputed (median)
    and standardised, and optionally the words of the title (binary bag of words, English
    stop words removed, words in at least ``title_min_df`` titles). For users
    (``kind="users"``): the age standardised, gender and occupation one-hot encoded, and the
    first character of the zip code (the US postal region) one-hot encoded. Categories not
    seen in ``fit`` encode to zeros.

    The output is a dense float array whose row ``k`` describes row ``k`` of the table; to
    keep the ids, wrap it: ``pd.DataFrame(ct.fit_transform(table), index=table.index)``,
    the form that skae's hybrid recommenders take as ``item_features`` or ``user_features``.

    Parameters
    ----------
    kind : {"items", "users"}, default="items"
        Which table the transformer is for.
    title_min_df : int or None, default=None
        ``kind="items"`` only. None leaves titles out; an int adds a column per title word
        found in at least that many titles.

    Returns
    -------
    transformer : sklearn.compose.ColumnTransformer
        Unfitted; ``get_feature_names_out`` names the columns after fitting.

    See Also
    --------
    load_movielens_items, load_movielens_users : The tables it transforms.

    Examples
    --------
    >>> import pandas as pd
    >>> from skae.datasets import load_movielens_items, make_movielens_transformer
    >>> items = load_movielens_items("100k")
    >>> ct = make_movielens_transformer("items", title_min_df=10)
    >>> features = pd.DataFrame(ct.fit_transform(items), index=items.index)
    >>> features.shape[0], bool(features.notna().all().all())
    (1682, True)
    """
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    if kind not in ("items", "users"):
        raise ValueError(f"kind must be 'items' or 'users', got {kind!r}.")
    if kind == "users":
        if title_min_df is not None:
            raise ValueError("title_min_df is only for kind='items'.")
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        return ColumnTransformer([
            ("age", StandardScaler(), ["age"]),
            ("category", onehot, ["gender", "occupation"]),
            ("region", make_pipeline(
                FunctionTransformer(_zip_region, feature_names_out="one-to-one"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False)), ["zip_code"]),
        ], sparse_threshold=0)
    if title_min_df is not None and (not isinstance(title_min_df, int) or title_min_df < 1):
        raise ValueError(f"title_min_df must be None or a positive int, got {title_min_df!r}.")
    parts = [
        # Every column but title and year is a genre flag (19 in ML-100K, 18 in ML-1M).
        ("genres", "passthrough", make_column_selector(pattern="^(?!title$|year$)")),
        ("year", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["year"]),
    ]
    if title_min_df is not None:
        parts.append(("title", CountVectorizer(binary=True, stop_words="english",
                                               min_df=title_min_df), "title"))
    return ColumnTransformer(parts, sparse_threshold=0)
