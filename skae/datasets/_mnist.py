"""MNIST and Fashion-MNIST loaders (IDX files, gzip-compressed or plain)."""

from __future__ import annotations

import functools
import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skae.datasets._base import _download, _import_pandas, _require_file

__all__ = ["load_fashion_mnist", "load_mnist"]

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_GZIP_MAGIC = b"\x1f\x8b"
# Deflate cannot expand data by more than ~1032x, so a header announcing more
# bytes than that is corrupt; checking first avoids a huge bogus allocation.
_MAX_DEFLATE_RATIO = 1100

# Looked up at call time so tests can point them at file:// URLs. Fashion-MNIST's
# documented http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ is an S3 website
# endpoint, which is HTTP-only; the same bucket is served over https at its REST endpoint.
_BASE_URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
}
# Checksums of the original compressed files; used to verify downloads only
# (a data home may hold a lossless reconstruction of the MNIST train-images file
# whose .gz bytes differ, so existing local files are never checked against this).
_CHECKSUMS = {
    "mnist": {
        "train-images-idx3": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

_FILE_PREFIX = {"train": "train", "test": "t10k"}
_SUBSETS = ("train", "test", "all")
_SIDE = 28

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_DESCR = {
    "mnist": (
        "MNIST handwritten digits (LeCun, Cortes, Burges).\n"
        "70,000 grayscale 28x28 images of the digits 0-9: 60,000 train, 10,000 test.\n"
        "Pixels are uint8 in 0..255 (0 = background); divide by 255 to get [0, 1].\n"
        "Licence: CC BY-SA 3.0 (as commonly quoted). Cite LeCun, Bottou, Bengio and\n"
        "Haffner (1998), Gradient-based learning applied to document recognition."
    ),
    "fashion-mnist": (
        "Fashion-MNIST (Zalando Research), a drop-in replacement for MNIST.\n"
        "70,000 grayscale 28x28 images of 10 clothing classes: 60,000 train\n"
        "(6,000 per class), 10,000 test (1,000 per class).\n"
        "Pixels are uint8 in 0..255; divide by 255 to get [0, 1].\n"
        "Licence: MIT, (c) 2017 Zalando SE. Cite Xiao, Rasul and Vollgraf (2017),\n"
        "arXiv:1708.07747."
    ),
}


def _read_exact_into(f, out: np.ndarray, path: Path) -> None:
    """Fill ``out`` from ``f``; ValueError if the stream ends early."""
    view = memoryview(out).cast("B")
    pos = 0
    while pos < len(view):
        n = f.readinto(view[pos:])
        if not n:
            raise ValueError(
                f"{path} is truncated: its IDX header announces {len(view)} data bytes "
                f"but only {pos} are present."
            )
        pos += n


def _parse_idx(f, path: Path, expected_magic: int, max_bytes: int) -> np.ndarray:
    header = f.read(4)
    if len(header) < 4:
        raise ValueError(f"{path} is truncated: fewer than 4 bytes, no IDX magic number.")
    magic = struct.unpack(">I", header)[0]
    if magic != expected_magic:
        raise ValueError(
            f"{path} has IDX magic number {magic}, expected {expected_magic} "
            f"({'images' if expected_magic == IDX_IMAGES_MAGIC else 'labels'} file). "
            "Is it the right file, and not corrupt?"
        )
    ndim = header[3]
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(f"{path} is truncated inside its IDX header.")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    n_bytes = math.prod(dims)
    if n_bytes > max_bytes:
        raise ValueError(f"{path} has a corrupt IDX header: dimensions {dims} exceed the file.")
    # Decompress straight into one preallocated, writable array: no second
    # copy of the data and no read-only buffer (torch.from_numpy warns on those).
    out = np.empty(n_bytes, dtype=np.uint8)
    _read_exact_into(f, out, path)
    if f.read(1):
        raise ValueError(f"{path} has trailing bytes after the {dims} IDX payload.")
    return out.reshape(dims)


def _read_idx(path: str | os.PathLike, expected_magic: int) -> np.ndarray:
    """Read an unsigned-byte IDX file, gzip-compressed or plain.

    Parameters
    ----------
    path : str or path-like
        The file; gzip is detected from its first bytes, not its name.
    expected_magic : int
        2051 for images, 2049 for labels.

    Returns
    -------
    array : ndarray of uint8
        Shape as announced by the header.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    max_bytes = size * _MAX_DEFLATE_RATIO if compressed else size
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as f:
            return _parse_idx(f, path, expected_magic, max_bytes)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        msg = f"{path} is not a readable gzip file (corrupt or truncated): {exc}"
        raise ValueError(msg) from exc


def _fetch(url: str, relpath: str, checksum: str, home: Path) -> None:
    _download(url, home / relpath, checksum)


def _load_idx_pair(folder: str, part: str, data_home, download_if_missing: bool):
    """Return (images (n, 28, 28) uint8, labels (n,) int64) for one split."""
    arrays = []
    for kind, magic in (("images-idx3", IDX_IMAGES_MAGIC), ("labels-idx1", IDX_LABELS_MAGIC)):
        stem = f"{_FILE_PREFIX[part]}-{kind}"
        name = f"{stem}-ubyte.gz"
        relpath = f"{folder}/{name}"
        url = _BASE_URLS[folder] + name
        path = _require_file(
            relpath,
            data_home=data_home,
            download_if_missing=download_if_missing,
            download=functools.partial(_fetch, url, relpath, "sha256:" + _CHECKSUMS[folder][stem]),
            url=url,
        )
        arrays.append(_read_idx(path, magic))
    images, labels = arrays
    if images.shape[1:] != (_SIDE, _SIDE) or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{folder} {part}: expected images (n, 28, 28) and n labels, got images "
            f"{images.shape} and labels {labels.shape}."
        )
    return images, labels.astype(np.int64)


def _load_idx_dataset(folder, subset, data_home, download_if_missing, return_X_y, as_frame):
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}, got {subset!r}.")
    parts = ("train", "test") if subset == "all" else (subset,)
    pairs = [_load_idx_pair(folder, p, data_home, download_if_missing) for p in parts]
    if len(pairs) == 1:
        images, target = pairs[0]
    else:
        images = np.concatenate([p[0] for p in pairs])
        target = np.concatenate([p[1] for p in pairs])
    data = images.reshape(len(images), _SIDE * _SIDE)  # a view: no copy
    feature_names = [f"pixel_{r}_{c}" for r in range(_SIDE) for c in range(_SIDE)]
    if folder == "fashion-mnist":
        target_names = np.array(FASHION_MNIST_CLASSES)
    else:
        target_names = np.arange(10)
    frame = None
    if as_frame:
        pd = _import_pandas("as_frame=True")
        data = pd.DataFrame(data, columns=feature_names)
        target = pd.Series(target, name="target")
        frame = data.assign(target=target)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, images=images, frame=frame, feature_names=feature_names,
        target_names=target_names, DESCR=_DESCR[folder],
    )  # fmt: skip


_LOADER_DOC = """Load the {title} data set from the data home.

    Reads ``{folder}/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte.gz`` from
    the data home (``data_home``, else ``$SKAE_DATA``, else ``~/skae_data``).
    Nothing is downloaded unless ``download_if_missing=True``.

    Parameters
    ----------
    subset : {{"train", "test", "all"}}, default="train"
        Which split to load; ``"all"`` is the 60,000 train images followed by
        the 10,000 test images.
    data_home : str or path-like, default=None
        Folder holding ``{folder}/``; see :func:`skae.datasets.get_data_home`.
    download_if_missing : bool, default=False
        If True, download missing files from {url} (checksum verified;
        needs pooch: ``pip install pooch``).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series and
        ``frame`` holds both (requires pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples, 784), dtype uint8
            Pixels in 0..255, **not scaled**: use ``X / 255.0`` (float) for
            models that expect [0, 1] inputs.
        target : ndarray of shape (n_samples,), dtype int64
            Class labels 0..9.
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The same pixels as ``data`` (shares memory with it).
        feature_names : list of str
            ``"pixel_<row>_<col>"``.
        target_names : ndarray of shape (10,)
            {target_names}
        frame : DataFrame or None
            Data and target together when ``as_frame=True``.
        DESCR : str
            Description, licence and citation.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        A file is missing and ``download_if_missing`` is False; the message
        says where it was looked for and how to fix it.
    ValueError
        A file is corrupt or truncated, or ``subset`` is invalid.
    ImportError
        A download is needed and pooch is not installed.

    Examples
    --------
    >>> from skae.datasets import {func}
    >>> X, y = {func}(subset="test", return_X_y=True)
    >>> X.shape, X.dtype, y.dtype
    ((10000, 784), dtype('uint8'), dtype('int64'))
    >>> X_scaled = X / 255.0  # float64 in [0, 1]
    >>> bunch = {func}(subset="test")
    >>> bunch.images.shape
    (10000, 28, 28)
    >>> {example}
    """


def load_mnist(
    *, subset="train", data_home=None, download_if_missing=False, return_X_y=False, as_frame=False
):
    return _load_idx_dataset("mnist", subset, data_home, download_if_missing, return_X_y, as_frame)


def load_fashion_mnist(
    *, subset="train", data_home=None, download_if_missing=False, return_X_y=False, as_frame=False
):
    return _load_idx_dataset(
        "fashion-mnist", subset, data_home, download_if_missing, return_X_y, as_frame
    )


def _loader_doc(loader, folder, title, target_names, example):
    """``_LOADER_DOC`` for ``loader``, which reads ``folder``."""
    return _LOADER_DOC.format(title=title, folder=folder, url=_BASE_URLS[folder],
                              target_names=target_names, func=loader.__name__, example=example)


load_mnist.__doc__ = _loader_doc(
    load_mnist, "mnist", "MNIST handwritten digits", "The digits 0..9.",
    "sorted(set(y.tolist()))\n    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]")
load_fashion_mnist.__doc__ = _loader_doc(
    load_fashion_mnist, "fashion-mnist", "Fashion-MNIST",
    'Class names, ``"T-shirt/top"``, ``"Trouser"``, ... ``"Ankle boot"``.',
    "str(bunch.target_names[bunch.target[0]])\n    'Ankle boot'")
