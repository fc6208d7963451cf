"""MovieLens rating loaders (GroupLens).

MovieLens may not be redistributed without permission from GroupLens, so skae
never ships it: these functions only read files from the data home.
"""

from __future__ import annotations

import gzip
import io

from skae.datasets._base import _download_and_extract_zip, _import_pandas, _require_file

__all__ = ["load_movielens"]

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
