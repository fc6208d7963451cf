"""20 Newsgroups ("bydate" version) read straight from ``20news-bydate.tar.gz``.

The archive is read with :mod:`tarfile` on every call (about two seconds); nothing is
extracted or cached on disk. Posts are decoded as latin-1, like scikit-learn's
``fetch_20newsgroups``, whose Bunch this loader returns.
"""

from __future__ import annotations

import functools
import re
import tarfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

from skae._docs import fill_doc
from skae.datasets._base import _download, _require_file

__all__ = ["load_20newsgroups", "strip_footer", "strip_header", "strip_quotes"]

_RELPATH = "20newsgroups/20news-bydate.tar.gz"
# scikit-learn's mirror of Rennie's archive, and the SHA-256 its downloader checks.
_URL = "https://ndownloader.figshare.com/files/5975967"
_CHECKSUM = "sha256:8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610"
_FOLDERS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}
_SUBSETS = ("train", "test", "all")
_REMOVABLE = ("headers", "footers", "quotes")

_DESCR = """\
20 Newsgroups, "bydate" version (Ken Lang; split by Jason Rennie).
18,846 Usenet posts from 20 groups: 11,314 train (older) / 7,532 test (newer).
Text as posted, decoded as latin-1. remove=("headers", "footers", "quotes") strips the
header block, a trailing signature and quoted lines, which otherwise give the group away.
Vectorising recipes (scikit-learn):
- Hinton & Salakhutdinov (Science 2006): counts of the 2,000 most frequent words,
  CountVectorizer(max_features=2000, stop_words="english", dtype=np.float32);
- semantic-hashing papers (VDSH, NASH): tf-idf of the 10,000 most frequent words,
  TfidfVectorizer(max_features=10000, stop_words="english", dtype=np.float32).
Cite K. Lang (1995), NewsWeeder: Learning to filter netnews, ICML."""

# A line that quotes another post, or introduces a quotation ("... writes:").
_QUOTE_LINE = re.compile(r"(?:writes in|writes:|wrote:|says:|said:)"
                         r"|^(?:In article|Quoted from|[|>])")


def strip_header(text):
    """The post without its header block: everything up to the first blank line."""
    head, sep, body = text.partition("\n\n")
    return body


def strip_footer(text):
    """The post without a trailing signature.

    A signature is taken to start at the last line that is blank or made of hyphens only,
    trailing blank lines left aside. A post with no such line (or only a first one) is
    returned unchanged.
    """
    lines = text.strip().split("\n")
    for i in range(len(lines) - 1, 0, -1):
        if not lines[i].strip().strip("-"):
            return "\n".join(lines[:i])
    return text


def strip_quotes(text):
    """The post without lines that quote others (``>``, ``|``, "... writes:")."""
    return "\n".join(line for line in text.split("\n") if not _QUOTE_LINE.search(line))


_STRIPPERS = {"headers": strip_header, "footers": strip_footer, "quotes": strip_quotes}


@functools.lru_cache(maxsize=2)
def _read_archive(path, mtime_ns, size):
    """{subset: (texts, group names, member names)} of the archive, sorted by group then
    message name. Cached in memory per file version (``mtime_ns``, ``size``)."""
    out = {part: ([], [], []) for part in _FOLDERS}
    part_of = {folder: part for part, folder in _FOLDERS.items()}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if not member.isfile() or len(parts) != 3 or parts[0] not in part_of:
                    continue
                raw = archive.extractfile(member).read()
                texts, groups, names = out[part_of[parts[0]]]
                texts.append(raw.decode("latin-1"))
                groups.append(parts[1])
                names.append(member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ValueError(f"{path} is not a readable 20news-bydate.tar.gz: {exc}") from exc
    for part, (texts, groups, names) in out.items():
        if not texts:
            raise ValueError(f"{path} holds no documents under {_FOLDERS[part]}/: is it the "
                             "20news-bydate archive?")
        order = sorted(range(len(names)), key=lambda i: (groups[i], names[i]))
        out[part] = tuple(tuple(seq[i] for i in order) for seq in (texts, groups, names))
    return out


@fill_doc
def load_20newsgroups(*, subset="train", categories=None, shuffle=True, random_state=42,
                      remove=(), data_home=None, download_if_missing=False, return_X_y=False):
    """Load the 20 Newsgroups posts ("bydate" split) from the data home.

    Reads ``20newsgroups/20news-bydate.tar.gz`` from the data home (``data_home``, else
    ``$SKAE_DATA``, else ``~/skae_data``) directly; nothing is extracted or cached on disk.
    Nothing is downloaded unless ``download_if_missing=True``. The returned Bunch is shaped
    like scikit-learn's :func:`~sklearn.datasets.fetch_20newsgroups`.

    Vectorising recipes: the 2,000 most frequent words as counts, the input of Hinton &
    Salakhutdinov's document autoencoder (Science 2006), is
    ``CountVectorizer(max_features=2000, stop_words="english", dtype=np.float32)`` fitted on
    the training posts; the 10,000-word tf-idf of the semantic-hashing papers (VDSH, NASH) is
    ``TfidfVectorizer(max_features=10000, stop_words="english", dtype=np.float32)``.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        ``"all"`` is the training posts followed by the test posts (then shuffled if
        ``shuffle``).
    categories : list of str, default=None
        Groups to keep (all 20 by default). ``target`` then numbers them in sorted order.
    shuffle : bool, default=True
        Shuffle the posts (the archive lists them group by group).
    random_state : int, RandomState instance or None, default=42
        Seeds the shuffle.
    remove : tuple, default=()
        Any of ``"headers"``, ``"footers"``, ``"quotes"``: strip the header block (which
        names the group), a trailing signature, and lines that quote other posts, with the
        same rules as scikit-learn (see :func:`strip_header`, :func:`strip_footer`,
        :func:`strip_quotes`).
    data_home : str or path-like, default=None
        Folder holding ``20newsgroups/``; see :func:`skae.datasets.get_data_home`.
    download_if_missing : bool, default=False
        If True, download the archive from scikit-learn's mirror (checksum verified; needs
        pooch).
    {return_X_y}
        data : list of str
            The posts.
        target : ndarray of shape (n_samples,), dtype int64
            Index of each post's group in ``target_names``.
        target_names : list of str
            The group names, sorted.
        filenames : ndarray of str
            Each post's path inside the archive, e.g.
            ``"20news-bydate-train/sci.space/60804"``.
        DESCR : str
            Description, vectorising recipes and citation.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        The archive is missing and ``download_if_missing`` is False; the message says where
        it was looked for.
    ValueError
        An unknown ``subset``, ``remove`` entry or category, or an unreadable archive.

    Examples
    --------
    >>> from skae.datasets import load_20newsgroups
    >>> news = load_20newsgroups(subset="test", remove=("headers", "footers", "quotes"))
    >>> len(news.data), news.target.shape, len(news.target_names)
    (7532, (7532,), 20)
    >>> news.target_names[:2]
    ['alt.atheism', 'comp.graphics']

    Hinton & Salakhutdinov's input, the 2,000 most frequent words:

    >>> import numpy as np
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> X = CountVectorizer(max_features=2000, stop_words="english",
    ...                     dtype=np.float32).fit_transform(news.data)
    >>> X.shape, X.format
    ((7532, 2000), 'csr')
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}, got {subset!r}.")
    if isinstance(remove, str) or not all(r in _REMOVABLE for r in remove):
        raise ValueError(f"remove must be a tuple of {_REMOVABLE}, got {remove!r}.")
    path = _require_file(
        _RELPATH, data_home=data_home, download_if_missing=download_if_missing,
        download=lambda home: _download(_URL, home / _RELPATH, _CHECKSUM), url=_URL,
    )
    stat = Path(path).stat()
    archive = _read_archive(str(path), stat.st_mtime_ns, stat.st_size)
    parts = ("train", "test") if subset == "all" else (subset,)
    texts = [t for p in parts for t in archive[p][0]]
    groups = [g for p in parts for g in archive[p][1]]
    filenames = np.array([n for p in parts for n in archive[p][2]])
    target_names = sorted(set(archive["train"][1]) | set(archive["test"][1]))
    if categories is not None:
        unknown = sorted(set(categories) - set(target_names))
        if unknown:
            raise ValueError(f"Unknown categories {unknown}; the groups are {target_names}.")
        target_names = sorted(set(categories))
    index = {name: i for i, name in enumerate(target_names)}
    keep = np.array([g in index for g in groups], dtype=bool)
    target = np.array([index[g] for g in groups if g in index], dtype=np.int64)
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    filenames = filenames[keep]
    for kind in _REMOVABLE:  # headers first: the footer and quote rules assume a body
        if kind in remove:
            texts = [_STRIPPERS[kind](t) for t in texts]
    if shuffle:
        order = check_random_state(random_state).permutation(len(texts))
        texts = [texts[i] for i in order]
        target, filenames = target[order], filenames[order]
    if return_X_y:
        return texts, target
    return Bunch(data=texts, target=target, target_names=target_names, filenames=filenames,
                 DESCR=_DESCR)
