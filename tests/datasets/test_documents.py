"""Tests for the text loaders: 20 Newsgroups and Reuters-21578 (real-data facts and parsing)."""

import io
import tarfile

import numpy as np
import pytest

from skae.datasets import load_20newsgroups, load_reuters21578
from skae.datasets._newsgroups import strip_footer, strip_header, strip_quotes

NEWS = "20newsgroups/20news-bydate.tar.gz"
REUTERS = [f"reuters21578/reut2-{i:03d}.sgm" for i in range(22)] + [
    "reuters21578/all-topics-strings.lc.txt"]
# Per group, train/test (the data home's README, which matches scikit-learn's documentation).
NEWS_COUNTS = {"alt.atheism": (480, 319), "comp.graphics": (584, 389),
               "sci.space": (593, 394), "talk.religion.misc": (377, 251)}


# ---------------------------------------------------------------- real data
def test_20newsgroups_facts(require_data):
    require_data(NEWS)
    train = load_20newsgroups(subset="train", shuffle=False)
    test = load_20newsgroups(subset="test")
    assert len(train.data) == 11314 and len(test.data) == 7532
    assert len(train.target_names) == 20 and train.target_names == sorted(train.target_names)
    for group, (n_train, n_test) in NEWS_COUNTS.items():
        j = train.target_names.index(group)
        assert (train.target == j).sum() == n_train and (test.target == j).sum() == n_test
    # Unshuffled: group by group, and every file is a train file of its group.
    assert np.all(np.diff(train.target) >= 0)
    assert all(f.startswith(f"20news-bydate-train/{train.target_names[t]}/")
               for f, t in zip(train.filenames, train.target))
    assert train.target.dtype == np.int64 and "latin-1" in train.DESCR
    data, target = load_20newsgroups(subset="all", return_X_y=True)
    assert len(data) == 18846 and target.shape == (18846,)


def test_20newsgroups_remove_matches_scikit_learns_rules(require_data):
    # scikit-learn's published strippers, on every third test post: the same text.
    skl = pytest.importorskip("sklearn.datasets._twenty_newsgroups")
    require_data(NEWS)
    raw = load_20newsgroups(subset="test", shuffle=False).data[::3]
    assert all(strip_header(t) == skl.strip_newsgroup_header(t) for t in raw)
    assert all(strip_footer(t) == skl.strip_newsgroup_footer(t) for t in raw)
    assert all(strip_quotes(t) == skl.strip_newsgroup_quoting(t) for t in raw)
    stripped = load_20newsgroups(subset="test", shuffle=False,
                                 remove=("headers", "footers", "quotes")).data[::3]
    expected = [skl.strip_newsgroup_quoting(skl.strip_newsgroup_footer(
        skl.strip_newsgroup_header(t))) for t in raw]
    assert stripped == expected
    # Every post names its subject in its header; after stripping, few lines do (quoted ones).
    assert all("\nSubject:" in "\n" + t.partition("\n\n")[0] for t in raw)
    assert sum("\nSubject:" in "\n" + t for t in stripped) < len(raw) / 100


def test_reuters_modapte_and_modlewis_counts(require_data):
    require_data(*REUTERS)
    # README.txt, section VIII: ModApte 9,603 / 3,299, ModLewis 13,625 / 6,188.
    sizes = {(split, subset): len(load_reuters21578(subset=subset, split=split).data)
             for split in ("modapte", "modlewis") for subset in ("train", "test")}
    assert sizes == {("modapte", "train"): 9603, ("modapte", "test"): 3299,
                     ("modlewis", "train"): 13625, ("modlewis", "test"): 6188}
    test = load_reuters21578(subset="test")
    assert test.target.shape == (3299, 135) and test.target.dtype == np.uint8
    assert len(test.target_names) == 135 and test.target_names[0] == "acq"
    # The binarised target is the topic lists (one story lists "trade" twice).
    assert all(sorted(test.target_names[j] for j in np.flatnonzero(row)) == sorted(set(topics))
               for row, topics in zip(test.target, test.topics))
    assert int((test.target.sum(axis=1) > 0).sum()) == 3019
    assert int((test.target.sum(axis=1) > 1).sum()) > 400  # multi-label
    assert np.all(np.diff(test.ids) > 0)
    assert test.topics[0] == ("trade",) and test.data[0].startswith("ASIAN EXPORTERS FEAR")
    assert "&lt;" not in " ".join(test.data) and "\x03" not in " ".join(test.data)
    data, target = load_reuters21578(subset="all", return_X_y=True)
    assert len(data) == 9603 + 3299 and target.shape == (12902, 135)


# ---------------------------------------------------------------- parsing, without real data
def _news_archive(path, posts):
    """A 20news-bydate.tar.gz with ``posts``: {(part, group, name): text}."""
    with tarfile.open(path, "w:gz") as tar:
        for (part, group, name), text in posts.items():
            raw = text.encode("latin-1")
            info = tarfile.TarInfo(f"20news-bydate-{part}/{group}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


POST = ("From: a@b.c\nSubject: x\n\nHello caf\xe9\n> quoted\nIn article <1> a wrote:\n"
        "body\n\n--\nsig\n")


@pytest.fixture
def news_home(tmp_path):
    (tmp_path / "20newsgroups").mkdir()
    _news_archive(tmp_path / NEWS, {
        ("train", "sci.space", "2"): POST, ("train", "sci.space", "1"): "A: b\n\nsky",
        ("train", "alt.atheism", "9"): "A: b\n\ngod", ("test", "sci.space", "5"): "A: b\n\nmoon",
    })
    return tmp_path


def test_20newsgroups_parses_an_archive(news_home):
    bunch = load_20newsgroups(subset="train", shuffle=False, data_home=news_home)
    assert bunch.target_names == ["alt.atheism", "sci.space"]
    assert bunch.target.tolist() == [0, 1, 1]
    assert bunch.filenames.tolist() == ["20news-bydate-train/alt.atheism/9",
                                        "20news-bydate-train/sci.space/1",
                                        "20news-bydate-train/sci.space/2"]
    assert bunch.data[2] == POST  # latin-1 decoded
    cleaned = load_20newsgroups(subset="train", shuffle=False, data_home=news_home,
                                remove=("headers", "footers", "quotes")).data[2]
    assert cleaned == "Hello caf\xe9\nbody\n"  # cut at the "--" line, as scikit-learn
    # categories renumber the groups kept; shuffling is reproducible.
    space = load_20newsgroups(subset="all", categories=["sci.space"], data_home=news_home)
    assert space.target_names == ["sci.space"] and space.target.tolist() == [0, 0, 0]
    a = load_20newsgroups(subset="all", data_home=news_home, random_state=3).filenames
    b = load_20newsgroups(subset="all", data_home=news_home, random_state=3).filenames
    assert a.tolist() == b.tolist() and sorted(a) == sorted(
        load_20newsgroups(subset="all", shuffle=False, data_home=news_home).filenames)


def test_strippers():
    assert strip_header("H: 1\nG: 2\n\nbody\n\nmore") == "body\n\nmore"
    assert strip_footer("text\nmore\n\n-- \nsig\n\n") == "text\nmore\n"
    assert strip_footer("no signature here") == "no signature here"
    assert strip_quotes("a\n> q\n| q\nIn article <x>\nJo writes:\nb") == "a\nb"


@pytest.mark.parametrize("kwargs, match", [
    (dict(subset="dev"), "subset must be one of"),
    (dict(remove=("header",)), "remove must be a tuple"),
    (dict(remove="headers"), "remove must be a tuple"),
    (dict(categories=["sci.spice"]), r"Unknown categories \['sci.spice'\]"),
])
def test_20newsgroups_errors(news_home, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_20newsgroups(data_home=news_home, **kwargs)


def test_20newsgroups_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_if_missing=True"):
        load_20newsgroups(data_home=tmp_path)
    (tmp_path / "20newsgroups").mkdir()
    (tmp_path / NEWS).write_bytes(b"not a tarball")
    with pytest.raises(ValueError, match="not a readable 20news-bydate"):
        load_20newsgroups(data_home=tmp_path)


STORY = ('<REUTERS TOPICS="{flag}" LEWISSPLIT="{split}" CGISPLIT="X" OLDID="1" NEWID="{newid}">\n'
         "<TOPICS>{topics}</TOPICS>\n<TEXT>&#2;\n<TITLE>{title}</TITLE>\n"
         "<DATELINE> CITY, Feb 26 - </DATELINE><BODY>{body}\n Reuter\n&#3;</BODY></TEXT>\n"
         "</REUTERS>\n")
UNPROC = ('<REUTERS TOPICS="YES" LEWISSPLIT="TEST" CGISPLIT="X" OLDID="2" NEWID="{newid}">\n'
          '<TOPICS><D>acq</D></TOPICS>\n<TEXT TYPE="UNPROC">&#2;\nraw &amp; plain text\n'
          "&#3;</TEXT>\n</REUTERS>\n")


@pytest.fixture
def reuters_home(tmp_path):
    folder = tmp_path / "reuters21578"
    folder.mkdir()
    (folder / "all-topics-strings.lc.txt").write_text("acq\ncocoa\nearn\n")
    for i in range(22):
        stories = '<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'
        if i == 0:
            stories += STORY.format(flag="YES", split="TRAIN", newid=2,
                                    topics="<D>cocoa</D><D>earn</D>", title="COCOA &lt;UP&gt;",
                                    body="Prices rose.")
            stories += STORY.format(flag="NO", split="TRAIN", newid=1, topics="", title="NONE",
                                    body="No topic.")
            stories += UNPROC.format(newid=3)
        else:
            stories += STORY.format(flag="YES", split="NOT-USED", newid=10 + i, topics="",
                                    title="T", body="B")
        (folder / f"reut2-{i:03d}.sgm").write_text(stories, encoding="latin-1")
    return tmp_path


def test_reuters_parses_sgml(reuters_home):
    train = load_reuters21578(subset="train", data_home=reuters_home)
    assert train.ids.tolist() == [2]  # ModApte: TOPICS="YES" only
    assert train.topics == [("cocoa", "earn")] and train.target.tolist() == [[0, 1, 1]]
    assert train.data == ["COCOA <UP>\nPrices rose.\n Reuter"]  # entities and &#3; decoded
    assert load_reuters21578(subset="train", split="modlewis",
                             data_home=reuters_home).ids.tolist() == [1, 2]
    test = load_reuters21578(subset="test", data_home=reuters_home)
    assert test.data == ["raw & plain text"] and test.topics == [("acq",)]
    assert test.target_names == ["acq", "cocoa", "earn"]
    data, target = load_reuters21578(subset="all", data_home=reuters_home, return_X_y=True)
    assert len(data) == 2 and target.shape == (2, 3)


def test_reuters_errors(reuters_home, tmp_path_factory):
    with pytest.raises(ValueError, match="split must be one of"):
        load_reuters21578(split="apte", data_home=reuters_home)
    with pytest.raises(ValueError, match="subset must be one of"):
        load_reuters21578(subset="dev", data_home=reuters_home)
    (reuters_home / "reuters21578" / "all-topics-strings.lc.txt").write_text("acq\n")
    with pytest.raises(ValueError, match=r"topics \['cocoa', 'earn'\] that are not in"):
        load_reuters21578(data_home=reuters_home)
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(FileNotFoundError, match="reut2-000.sgm"):
        load_reuters21578(data_home=empty)
