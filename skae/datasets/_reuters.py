"""Reuters-21578, Distribution 1.0 (David D. Lewis), read from its 22 SGML files.

The files are parsed on every call (about a second); nothing is cached on disk. Each story
keeps its TOPICS categories (multi-label, possibly none); the ModApte and ModLewis splits
are those of the distribution's README (section VIII).
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skae._docs import fill_doc
from skae.datasets._base import _require_file

__all__ = ["load_reuters21578"]

_FOLDER = "reuters21578"
_FILES = tuple(f"{_FOLDER}/reut2-{i:03d}.sgm" for i in range(22))
_TOPICS_FILE = f"{_FOLDER}/all-topics-strings.lc.txt"
_SUBSETS = ("train", "test", "all")
# split -> {subset: (LEWISSPLIT value, allowed TOPICS values)}; README, section VIII.
_SPLITS = {
    "modapte": {"train": ("TRAIN", {"YES"}), "test": ("TEST", {"YES"})},
    "modlewis": {"train": ("TRAIN", {"YES", "NO"}), "test": ("TEST", {"YES", "NO"})},
}
_HINT = ("Reuters-21578 is distributed as reuters21578.tar.gz (UCI KDD archive, "
         "https://kdd.ics.uci.edu/databases/reuters21578/reuters21578.html); extract its "
         "files into the reuters21578/ folder of the data home.")

_DESCR = """\
Reuters-21578, Distribution 1.0 (David D. Lewis): 21,578 Reuters newswire stories of 1987.
ModApte split: 9,603 train / 3,299 test stories (TOPICS="YES"); ModLewis: 13,625 / 6,188.
A story has zero, one or several of the 135 TOPICS categories (multi-label).
Text = title + body (the dateline and the SGML markup are dropped).
Vectorising recipes (scikit-learn): counts of the 2,000 most frequent words,
CountVectorizer(max_features=2000, stop_words="english", dtype=np.float32); the semantic-hashing
papers' tf-idf of the 10,000 most frequent words,
TfidfVectorizer(max_features=10000, stop_words="english", dtype=np.float32).
Copyright Reuters Ltd. and Carnegie Group, Inc.; free distribution for research purposes only.
Publications must acknowledge "Reuters-21578, Distribution 1.0" and say where it is available."""

_STORY = re.compile(r"<REUTERS([^>]*)>(.*?)</REUTERS>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.S)
_D = re.compile(r"<D>(.*?)</D>", re.S)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_TEXT = re.compile(r"<TEXT[^>]*>(.*?)</TEXT>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _clean(sgml):
    """Text of an SGML fragment: entities decoded (``&lt;``, ``&#3;``), control bytes dropped."""
    return _CONTROL.sub("", html.unescape(sgml)).strip()


def _parse_story(attrs, inner, source):
    attr = dict(_ATTR.findall(attrs))
    if "NEWID" not in attr:
        raise ValueError(f"{source}: a <REUTERS> element has no NEWID attribute.")
    topics = _TOPICS.search(inner)
    title = _TITLE.search(inner)
    body = _BODY.search(inner)
    if title is None and body is None:
        # TYPE="UNPROC" stories: the text is not marked up into title and body.
        text = _TEXT.search(inner)
        text = _clean(_TAG.sub(" ", text.group(1))) if text else ""
    else:
        text = "\n".join(_clean(m.group(1)) for m in (title, body) if m is not None)
    return (int(attr["NEWID"]), attr.get("LEWISSPLIT", ""), attr.get("TOPICS", ""),
            tuple(_clean(d) for d in _D.findall(topics.group(1))) if topics else (), text)


@functools.lru_cache(maxsize=2)
def _read_stories(paths, stamps):
    """All stories of ``paths``, sorted by NEWID: (newid, lewissplit, topics flag, topics,
    text). Cached in memory per file version (``stamps``)."""
    stories = []
    for path in paths:
        with open(path, encoding="latin-1") as f:
            content = f.read()
        found = [_parse_story(a, inner, path) for a, inner in _STORY.findall(content)]
        if not found:
            raise ValueError(f"{path} holds no <REUTERS> stories: is it a Reuters-21578 file?")
        stories.extend(found)
    stories.sort(key=lambda s: s[0])
    return tuple(stories)


@fill_doc
def load_reuters21578(*, subset="train", split="modapte", data_home=None, return_X_y=False):
    """Load the Reuters-21578 newswire stories with their topics (multi-label).

    Reads the 22 files ``reuters21578/reut2-000.sgm`` ... ``reut2-021.sgm`` and the topic
    list ``all-topics-strings.lc.txt`` from the data home (``data_home``, else
    ``$SKAE_DATA``, else ``~/skae_data``) and parses the SGML directly; nothing is cached on
    disk and nothing is downloaded (the distribution has no checksummed download: the
    error says where to get it).

    Vectorising recipes: counts of the 2,000 most frequent words (Hinton & Salakhutdinov's
    set-up), ``CountVectorizer(max_features=2000, stop_words="english", dtype=np.float32)``;
    the 10,000-word tf-idf of the semantic-hashing papers,
    ``TfidfVectorizer(max_features=10000, stop_words="english", dtype=np.float32)``, each
    fitted on the training stories.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        ``"all"`` is the training stories followed by the test stories of ``split``.
    split : {"modapte", "modlewis"}, default="modapte"
        The distribution's splits (README, section VIII). ModApte: ``LEWISSPLIT="TRAIN"``
        (resp. ``"TEST"``) and ``TOPICS="YES"``, 9,603 train / 3,299 test stories; ModLewis
        also keeps ``TOPICS="NO"``, 13,625 / 6,188. Both keep stories whose topic list is
        empty (``target`` row of zeros): drop them for topic retrieval.
    data_home : str or path-like, default=None
        Folder holding ``reuters21578/``; see :func:`skae.datasets.get_data_home`.
    {return_X_y}
        data : list of str
            Title and body of each story, SGML entities decoded.
        target : ndarray of shape (n_samples, 135), dtype uint8
            ``target[i, j] = 1`` if story ``i`` has topic ``target_names[j]``.
        target_names : list of str
            The 135 TOPICS categories of ``all-topics-strings.lc.txt``, in its order (the
            same columns for every subset and split; many are never used).
        topics : list of tuple of str
            Each story's topics as listed in the file.
        ids : ndarray of shape (n_samples,), dtype int64
            Each story's NEWID.
        DESCR : str
            Description, vectorising recipes, licence and citation.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        A file is missing; the message says where it was looked for.
    ValueError
        An unknown ``subset`` or ``split``, or a file that is not Reuters-21578 SGML.

    Examples
    --------
    >>> from skae.datasets import load_reuters21578
    >>> reuters = load_reuters21578(subset="test")
    >>> len(reuters.data), reuters.target.shape
    (3299, (3299, 135))
    >>> reuters.topics[0], reuters.target_names[reuters.target[0].argmax()]
    (('trade',), 'trade')
    >>> int((reuters.target.sum(axis=1) > 0).sum())  # stories with at least one topic
    3019
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}, got {subset!r}.")
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {tuple(_SPLITS)}, got {split!r}.")
    paths = [_require_file(rel, data_home=data_home, hint=_HINT)
             for rel in (*_FILES, _TOPICS_FILE)]
    topic_path = paths.pop()
    stamps = tuple((Path(p).stat().st_mtime_ns, Path(p).stat().st_size) for p in paths)
    stories = _read_stories(tuple(str(p) for p in paths), stamps)
    target_names = Path(topic_path).read_text(encoding="latin-1").split()
    column = {name: j for j, name in enumerate(target_names)}
    parts = ("train", "test") if subset == "all" else (subset,)
    chosen = [s for part in parts for s in stories
              if s[1] == _SPLITS[split][part][0] and s[2] in _SPLITS[split][part][1]]
    target = np.zeros((len(chosen), len(target_names)), dtype=np.uint8)
    for i, story in enumerate(chosen):
        unknown = [t for t in story[3] if t not in column]
        if unknown:
            raise ValueError(f"Story NEWID={story[0]} has topics {unknown} that are not in "
                             f"{topic_path}.")
        target[i, [column[t] for t in story[3]]] = 1
    data = [s[4] for s in chosen]
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, target_names=target_names,
                 topics=[s[3] for s in chosen],
                 ids=np.array([s[0] for s in chosen], dtype=np.int64), DESCR=_DESCR)
