"""Tests for skae.datasets: real-data facts, IDX parsing, data home, downloads."""

import functools
import gzip
import hashlib
import io
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from skae.datasets import (
    _base,
    _mnist,
    _movielens,
    get_data_home,
    load_fashion_mnist,
    load_mnist,
    load_movielens,
)
from skae.datasets._mnist import _read_idx

MNIST_NAMES = [
    f"{p}-{k}-ubyte.gz" for p in ("train", "t10k") for k in ("images-idx3", "labels-idx1")
]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
ML100K_HIST = {1: 6110, 2: 11370, 3: 27145, 4: 34174, 5: 21201}
ML100K = "movielens/ml-100k/"


# Loaded once per session: decompressing MNIST takes a noticeable fraction of a second.
@functools.cache
def _idx_data(folder, subset):
    loader = load_mnist if folder == "mnist" else load_fashion_mnist
    return loader(subset=subset)


@functools.cache
def _ml(variant="100k", split=None):
    return load_movielens(variant, split=split)


def _sorted_rows(*frames):
    rows = np.concatenate([f.to_numpy() for f in frames])
    return rows[np.lexsort(rows.T[::-1])]


# ---------------------------------------------------------------- real data
def test_mnist_train_facts(require_data):
    require_data(*(f"mnist/{n}" for n in MNIST_NAMES))
    bunch = _idx_data("mnist", "train")
    assert bunch.data.shape == (60000, 784) and bunch.data.dtype == np.uint8
    assert bunch.target.dtype == np.int64
    assert np.bincount(bunch.target).tolist() == MNIST_TRAIN_COUNTS
    assert (bunch.data.min(), bunch.data.max()) == (0, 255)
    assert bunch.images.shape == (60000, 28, 28)
    assert np.shares_memory(bunch.images, bunch.data)
    assert len(bunch.feature_names) == 784 and list(bunch.target_names) == list(range(10))
    assert "255" in bunch.DESCR


def test_mnist_test_and_all(require_data):
    require_data(*(f"mnist/{n}" for n in MNIST_NAMES))
    X, y = load_mnist(subset="test", return_X_y=True)
    assert X.shape == (10000, 784) and y.shape == (10000,)
    X_all, y_all = load_mnist(subset="all", return_X_y=True)
    assert X_all.shape == (70000, 784)
    np.testing.assert_array_equal(y_all[:60000], _idx_data("mnist", "train").target)
    np.testing.assert_array_equal(X_all[60000:], X)
    bunch = load_mnist(subset="test", as_frame=True)
    assert bunch.data.shape == (10000, 784) and bunch.frame.shape == (10000, 785)
    assert bunch.target.name == "target" and bunch.data.columns[0] == "pixel_0_0"


def test_fashion_mnist_facts(require_data):
    require_data(*(f"fashion-mnist/{n}" for n in MNIST_NAMES))
    bunch = _idx_data("fashion-mnist", "train")
    assert bunch.data.shape == (60000, 784)
    assert np.bincount(bunch.target).tolist() == [6000] * 10
    assert bunch.target_names[9] == "Ankle boot" and len(bunch.target_names) == 10
    _, y_test = load_fashion_mnist(subset="test", return_X_y=True)
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_movielens_100k_facts(require_data):
    require_data(ML100K + "u.data")
    df = _ml()
    assert list(df.columns) == ["user", "item", "rating", "timestamp"]
    assert all(str(t) == "int64" for t in df.dtypes)
    assert len(df) == 100000
    assert df["user"].nunique() == 943 and df["item"].nunique() == 1682
    assert df["rating"].value_counts().sort_index().to_dict() == ML100K_HIST


@pytest.mark.parametrize("split", ["u1", "u2", "u3", "u4", "u5"])
def test_movielens_100k_folds(require_data, split):
    require_data(*(ML100K + f for f in ("u.data", f"{split}.base", f"{split}.test")))
    base, test = _ml(split=split)
    assert (len(base), len(test)) == (80000, 20000)
    np.testing.assert_array_equal(_sorted_rows(base, test), _sorted_rows(_ml()))


def test_movielens_100k_folds_partition(require_data):
    require_data(*(ML100K + f"u{i}.test" for i in range(1, 6)), ML100K + "u.data")
    tests = [_ml(split=f"u{i}")[1] for i in range(1, 6)]
    np.testing.assert_array_equal(_sorted_rows(*tests), _sorted_rows(_ml()))


@pytest.mark.parametrize("split", ["ua", "ub"])
def test_movielens_100k_ua_ub(require_data, split):
    require_data(*(ML100K + f for f in ("u.data", f"{split}.base", f"{split}.test")))
    base, test = _ml(split=split)
    assert (len(base), len(test)) == (90570, 9430)
    per_user = test.groupby("user").size()
    assert len(per_user) == 943 and (per_user == 10).all()
    np.testing.assert_array_equal(_sorted_rows(base, test), _sorted_rows(_ml()))


def test_movielens_1m_partial(require_data):
    require_data("movielens/ml-1m-partial/ratings-first-487650-lines.dat.gz")
    df = _ml("1m-partial")
    assert len(df) == 487650
    assert df.iloc[0].tolist() == [1, 1193, 5, 978300760]
    assert df["user"].max() == 2999 and df["item"].nunique() == 3615


# ------------------------------------------------------ synthetic IDX files
def _idx_bytes(array, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else 0x0800 + array.ndim
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def _write(path, payload, gz=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def _fake_mnist_home(root, folder="mnist", n=(5, 3), side=28):
    """Write a tiny MNIST-layout data home; return the {name: bytes} written."""
    rng = np.random.default_rng(0)
    written = {}
    for prefix, count in zip(("train", "t10k"), n, strict=True):
        images = rng.integers(0, 256, size=(count, side, side))
        labels = np.arange(count) % 10
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            written[name] = _write(root / folder / name, _idx_bytes(arr)).read_bytes()
    return written


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_roundtrip(tmp_path, gz):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    path = _write(tmp_path / "x.idx", _idx_bytes(images), gz=gz)
    out = _read_idx(path, 2051)
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.uint8 and out.flags.writeable


def test_read_idx_wrong_magic(tmp_path):
    path = _write(tmp_path / "labels.gz", _idx_bytes(np.arange(4)))
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        _read_idx(path, 2051)


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_truncated(tmp_path, gz):
    payload = _idx_bytes(np.ones((10, 28, 28)))
    path = _write(tmp_path / "x", payload, gz=gz)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ValueError, match="truncated"):
        _read_idx(path, 2051)


@pytest.mark.parametrize(
    "payload, magic, match",
    [
        (_idx_bytes(np.ones(3)) + b"\x00", 2049, "trailing bytes"),
        (struct.pack(">IIII", 2051, 2**31, 2**31, 28), 2051, "corrupt IDX header"),
        (b"\x00\x00", 2051, "truncated"),
        (struct.pack(">II", 2051, 60000), 2051, "truncated inside its IDX header"),
    ],
    ids=["trailing", "huge-dims", "no-magic", "short-header"],
)
def test_read_idx_corrupt(tmp_path, payload, magic, match):
    with pytest.raises(ValueError, match=match):
        _read_idx(_write(tmp_path / "x", payload, gz=False), magic)


def test_read_idx_not_gzip_inside(tmp_path):
    path = _write(tmp_path / "x.gz", b"\x1f\x8b" + b"garbage" * 10, gz=False)
    with pytest.raises(ValueError, match="not a readable gzip file"):
        _read_idx(path, 2051)


def test_load_mnist_synthetic_home(tmp_path):
    _fake_mnist_home(tmp_path, "fashion-mnist")
    bunch = load_fashion_mnist(data_home=tmp_path, subset="all")
    assert bunch.data.shape == (8, 784) and bunch.target.tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    with pytest.raises(ValueError, match="subset must be one of"):
        load_fashion_mnist(data_home=tmp_path, subset="validation")


def test_load_mnist_rejects_wrong_image_size(tmp_path):
    _fake_mnist_home(tmp_path, side=8)
    with pytest.raises(ValueError, match=r"expected images \(n, 28, 28\)"):
        load_mnist(data_home=tmp_path)


# ------------------------------------------------------ data home and errors
def test_data_home_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SKAE_DATA", raising=False)
    assert get_data_home() == tmp_path / "home" / "skae_data"
    monkeypatch.setenv("SKAE_DATA", "")  # empty means unset
    assert get_data_home() == tmp_path / "home" / "skae_data"
    monkeypatch.setenv("SKAE_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home("~/x") == tmp_path / "home" / "x"
    assert not any(p.exists() for p in (tmp_path / "home", tmp_path / "env", tmp_path / "arg"))


def test_missing_file_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SKAE_DATA", str(tmp_path / "env_home"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(subset="test")
    msg = str(info.value)
    expected = tmp_path / "env_home" / "mnist" / "t10k-images-idx3-ubyte.gz"
    assert str(expected) in msg and "from the SKAE_DATA environment variable" in msg
    assert "data_home=" in msg and "download_if_missing=True" in msg
    assert not (tmp_path / "env_home").exists()  # no download, so nothing created

    with pytest.raises(FileNotFoundError, match="passed as the data_home argument") as info:
        load_movielens("1m-partial", data_home=tmp_path / "arg")
    assert "ratings-first-487650-lines.dat.gz" in str(info.value)
    assert "download_if_missing=True" not in str(info.value)  # no public URL


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"variant": "10m"}, r"variant must be one of \('100k', '1m', '1m-partial'\)"),
        ({"split": "u6"}, "split must be None or one of"),
        ({"variant": "1m", "split": "u1"}, "only available for variant='100k'"),
    ],
)
def test_movielens_invalid_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_movielens(data_home=tmp_path, **kwargs)


def test_movielens_needs_pandas(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        load_movielens(data_home=tmp_path)


def test_movielens_1m_parser(tmp_path):
    # Synthetic "::"-separated lines in the ML-1M format (not real ratings).
    _write(tmp_path / "movielens/ml-1m/ratings.dat", b"1::10::5::100\n2::20::3::200\n", gz=False)
    df = load_movielens("1m", data_home=tmp_path)
    assert df.to_numpy().tolist() == [[1, 10, 5, 100], [2, 20, 3, 200]]
    assert list(df.columns) == ["user", "item", "rating", "timestamp"]


@pytest.mark.parametrize("line", [b"1\t2\t3\t4\t5\n", b"1\t2\t3\n", b"1\t2\tx\t4\n"])
def test_movielens_malformed_file(tmp_path, line):
    _write(tmp_path / "movielens/ml-100k/u.data", b"1\t2\t3\t4\n" + line, gz=False)
    with pytest.raises(ValueError, match="not a valid MovieLens ratings file"):
        load_movielens(data_home=tmp_path)


# ---------------------------------------------------------------- downloads
def _serve_fake_mnist(tmp_path, monkeypatch):
    written = _fake_mnist_home(tmp_path / "server")
    monkeypatch.setitem(_mnist._BASE_URLS, "mnist", (tmp_path / "server/mnist").as_uri() + "/")
    for name, data in written.items():
        stem = name.removesuffix("-ubyte.gz")
        monkeypatch.setitem(_mnist._CHECKSUMS["mnist"], stem, hashlib.sha256(data).hexdigest())
    return written


def test_download_mnist_from_file_url(tmp_path, monkeypatch):
    written = _serve_fake_mnist(tmp_path, monkeypatch)
    home = tmp_path / "home"
    with pytest.raises(FileNotFoundError):  # downloads are opt-in
        load_mnist(data_home=home)
    assert not home.exists()
    bunch = load_mnist(data_home=home, subset="all", download_if_missing=True)
    assert bunch.data.shape == (8, 784)
    assert sorted(p.name for p in (home / "mnist").iterdir()) == sorted(written)


def test_download_checksum_mismatch_leaves_nothing(tmp_path, monkeypatch):
    _serve_fake_mnist(tmp_path, monkeypatch)
    monkeypatch.setitem(_mnist._CHECKSUMS["mnist"], "train-images-idx3", "0" * 64)
    with pytest.raises(OSError, match="Checksum mismatch"):
        load_mnist(data_home=tmp_path / "home", download_if_missing=True)
    assert list((tmp_path / "home/mnist").iterdir()) == []


def test_download_interrupted_leaves_nothing(tmp_path, monkeypatch):
    def broken_downloader(url, output_file, pooch_instance=None):
        with open(output_file, "wb") as out:
            out.write(b"x" * 10)
        raise ConnectionResetError("connection lost")

    monkeypatch.setattr(_base, "_copy_file_url", broken_downloader)
    src = _write(tmp_path / "server" / "file.bin", b"x" * 100, gz=False)
    dest = tmp_path / "dl" / "file.bin"
    with pytest.raises(ConnectionResetError):
        _base._download(src.as_uri(), dest)
    assert list(dest.parent.iterdir()) == []


def _zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buf.getvalue()


def test_download_movielens_zip(tmp_path, monkeypatch):
    # Synthetic ratings in the ML-100K layout; real MovieLens files are never copied.
    zipped = _zip_bytes({
        "ml-100k/u.data": "1\t2\t3\t4\n5\t6\t1\t8\n",
        "ml-100k/u1.base": "1\t2\t3\t4\n",
        "ml-100k/u1.test": "5\t6\t1\t8\n",
        "ml-100k/README": "synthetic",
    })  # fmt: skip
    src = _write(tmp_path / "server/ml-100k.zip", zipped, gz=False)
    monkeypatch.setitem(_movielens._ZIP_URLS, "100k", src.as_uri())
    monkeypatch.setitem(_movielens._ZIP_CHECKSUMS, "100k", "md5:" + hashlib.md5(zipped).hexdigest())
    home = tmp_path / "home"
    df = load_movielens(data_home=home, download_if_missing=True)
    assert df.to_numpy().tolist() == [[1, 2, 3, 4], [5, 6, 1, 8]]
    train, test = load_movielens(split="u1", data_home=home)  # already extracted
    assert (len(train), len(test)) == (1, 1)
    assert sorted(p.name for p in (home / "movielens").iterdir()) == ["ml-100k"]


def _serve_zip(tmp_path, monkeypatch, members, checksum=None):
    src = _write(tmp_path / "server/ml-100k.zip", _zip_bytes(members), gz=False)
    monkeypatch.setitem(_movielens._ZIP_URLS, "100k", src.as_uri())
    monkeypatch.setitem(_movielens._ZIP_CHECKSUMS, "100k", checksum)
    return src


@pytest.mark.parametrize(
    "evil",
    [
        "ml-100k/../../evil.txt",
        "../evil.txt",
        # An empty path component: stripping "ml-100k/" leaves an absolute path.
        "ml-100k/{outside}/evil.txt",
        "{outside}/evil.txt",
    ],
    ids=["dotdot-under-prefix", "dotdot", "empty-component", "absolute"],
)
def test_zip_slip_rejected(tmp_path, monkeypatch, evil):
    outside = tmp_path / "outside"
    outside.mkdir()
    evil = evil.format(outside=outside.as_posix())
    _serve_zip(tmp_path, monkeypatch, {"ml-100k/u.data": "1\t2\t3\t4\n", evil: "x"})
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="unsafe member") as info:
        load_movielens(data_home=home, download_if_missing=True)
    assert repr(evil) in str(info.value)
    # Nothing was written: not the evil member, not even the safe one before it; and the
    # downloaded archive is gone.
    assert list(outside.iterdir()) == [] and not (tmp_path / "evil.txt").exists()
    assert list((home / "movielens").iterdir()) == []


def test_zip_with_directory_entries_extracts(tmp_path, monkeypatch):
    _serve_zip(tmp_path, monkeypatch, {"ml-100k/": "", "ml-100k/u.data": "1\t2\t3\t4\n"})
    df = load_movielens(data_home=tmp_path / "home", download_if_missing=True)
    assert df.to_numpy().tolist() == [[1, 2, 3, 4]]


def test_zip_checksum_mismatch_extracts_nothing(tmp_path, monkeypatch):
    _serve_zip(tmp_path, monkeypatch, {"ml-100k/u.data": "1\t2\t3\t4\n"}, "md5:" + "0" * 32)
    home = tmp_path / "home"
    with pytest.raises(OSError, match="Checksum mismatch for file:"):
        load_movielens(data_home=home, download_if_missing=True)
    assert list((home / "movielens").iterdir()) == []


def test_https_downloads_go_through_pooch_with_checksums(tmp_path, monkeypatch):
    pooch = pytest.importorskip("pooch")
    calls = []

    def fake_retrieve(url, known_hash=None, fname=None, path=None, downloader=None, **kwargs):
        calls.append((url, known_hash, downloader))
        dest = Path(path) / fname
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(gzip.compress(_idx_bytes(np.zeros((1, 28, 28)) if "images" in fname
                                                  else np.zeros(1))))
        return str(dest)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    for loader in (load_mnist, load_fashion_mnist):
        X, y = loader(data_home=tmp_path, subset="test", download_if_missing=True,
                      return_X_y=True)
        assert X.shape == (1, 784) and y.shape == (1,)
    assert len(calls) == 4
    for url, known_hash, downloader in calls:
        assert url.startswith("https://") and downloader is None
        assert known_hash.startswith("sha256:") and len(known_hash) == len("sha256:") + 64
    assert all(url.startswith("https://") for url in _movielens._ZIP_URLS.values())


# ------------------------------------------------------- pooch is optional
def test_importing_skae_datasets_does_not_import_pooch():
    code = "import sys, skae, skae.datasets; print('pooch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "SKAE_DATA": ""})
    assert out.stdout.strip() == "False"


def test_missing_pooch_only_matters_for_downloads(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pooch", None)  # "import pooch" now raises ImportError
    _fake_mnist_home(tmp_path / "full")
    X, _ = load_mnist(data_home=tmp_path / "full", download_if_missing=True, return_X_y=True)
    assert X.shape == (5, 784)
    with pytest.raises(FileNotFoundError):
        load_mnist(data_home=tmp_path / "empty")
    with pytest.raises(ImportError, match=r"needs pooch.*`pip install pooch`"):
        load_mnist(data_home=tmp_path / "empty", download_if_missing=True)
    with pytest.raises(ImportError, match="pip install pooch"):
        load_movielens(data_home=tmp_path / "empty", download_if_missing=True)
    assert not (tmp_path / "empty").exists()
