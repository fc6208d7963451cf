"""Data home resolution, missing-file errors and opt-in downloads.

Loaders in :mod:`skae.datasets` read plain files from a *data home* folder and
never touch the network unless the caller passes ``download_if_missing=True``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

__all__ = ["DATA_HOME_ENV", "get_data_home"]

#: Name of the environment variable that points at the data home.
DATA_HOME_ENV = "SKAE_DATA"

_DEFAULT_DATA_HOME = "~/skae_data"
_CHUNK_SIZE = 1 << 20
_URL_TIMEOUT_S = 60

logger = logging.getLogger(__name__)


def _resolve_data_home(data_home: str | os.PathLike | None = None) -> tuple[Path, str]:
    """Return the data home and a human-readable note on how it was chosen."""
    if data_home is not None:
        return Path(data_home).expanduser(), "passed as the data_home argument"
    env = os.environ.get(DATA_HOME_ENV)
    # An empty variable is treated as unset: ``SKAE_DATA= pytest`` is a common
    # way to "unset" it, and Path("") would silently mean the current folder.
    if env:
        return Path(env).expanduser(), f"from the {DATA_HOME_ENV} environment variable"
    return (
        Path(_DEFAULT_DATA_HOME).expanduser(),
        f"the default {_DEFAULT_DATA_HOME}: neither data_home nor {DATA_HOME_ENV} was set",
    )


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder where skae looks for data files.

    The folder is chosen in this order: the ``data_home`` argument, else the
    ``SKAE_DATA`` environment variable, else ``~/skae_data``. A leading ``~``
    is expanded. The folder is *not* created; only a download creates it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Explicit data home. ``None`` means "use ``SKAE_DATA`` or the default".

    Returns
    -------
    data_home : pathlib.Path
        The resolved data home (it may not exist).

    Examples
    --------
    >>> from skae.datasets import get_data_home
    >>> str(get_data_home("/tmp/my_data"))
    '/tmp/my_data'
    >>> get_data_home().name  # SKAE_DATA or ~/skae_data
    '...'
    """
    return _resolve_data_home(data_home)[0]


def _import_pandas(caller: str):
    """Import pandas, a soft dependency, with an actionable error if absent."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs pandas, which is not installed. "
            "Install it with `pip install pandas` (or `pip install skae[pandas]`)."
        ) from exc
    return pd


def _missing_file_error(
    relpath: str, path: Path, home: Path, how: str, url: str | None, hint: str | None
) -> FileNotFoundError:
    lines = [
        f"Data file {relpath!r} was not found.",
        f"  looked for: {path}",
        f"  data home:  {home} ({how})",
        "To fix, do one of:",
        "  - put the file at that path",
        f"  - set the {DATA_HOME_ENV} environment variable, or pass data_home=..., to a "
        "folder that contains it",
    ]
    if url is not None:
        lines.append(f"  - pass download_if_missing=True to download it from {url}")
    if hint:
        lines.append(hint)
    return FileNotFoundError("\n".join(lines))


def _require_file(
    relpath: str,
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = False,
    download: Callable[[Path], None] | None = None,
    url: str | None = None,
    hint: str | None = None,
) -> Path:
    """Resolve ``relpath`` inside the data home, downloading only on request.

    Parameters
    ----------
    relpath : str
        POSIX-style path relative to the data home, e.g. ``"mnist/x.gz"``.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    download_if_missing : bool, default=False
        Call ``download`` when the file is absent.
    download : callable, default=None
        ``download(data_home)`` fetches the file (and maybe its siblings).
        ``None`` means no public download exists.
    url : str, default=None
        Source URL, quoted in the error message.
    hint : str, default=None
        Extra advice appended to the error message.

    Returns
    -------
    path : pathlib.Path
        Absolute path of the existing file.
    """
    home, how = _resolve_data_home(data_home)
    path = home.joinpath(*PurePosixPath(relpath).parts)
    if path.is_file():
        return path
    if download_if_missing and download is not None:
        download(home)
        if path.is_file():
            return path
        hint = f"A download from {url} completed but did not produce this file."
    raise _missing_file_error(relpath, path, home, how, url if download else None, hint)


def _check_digest(digest, checksum: str | None, url: str) -> None:
    if checksum is None:
        return
    expected = checksum.split(":", 1)[1].lower()
    actual = digest.hexdigest()
    if actual != expected:
        raise OSError(
            f"Checksum mismatch for {url}: expected {checksum}, got "
            f"{checksum.split(':', 1)[0]}:{actual}. The download was discarded; "
            "retry later or fetch the file by hand."
        )


def _download(url: str, dest: Path, checksum: str | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically.

    The bytes go to a temporary file in ``dest``'s folder which is renamed
    onto ``dest`` only once complete (and verified), so an interrupted
    download never leaves a truncated file that later loads would trust.

    Parameters
    ----------
    url : str
        Source URL (``https://``, ``http://`` or ``file://``).
    dest : pathlib.Path
        Final path; parent folders are created.
    checksum : str, default=None
        ``"sha256:<hex>"`` or ``"md5:<hex>"``; ``None`` skips verification.

    Returns
    -------
    dest : pathlib.Path

    Raises
    ------
    OSError
        Network errors, or a checksum mismatch; no file is left behind.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    # usedforsecurity=False: md5 is only an integrity check here, and FIPS builds
    # refuse it otherwise.
    algo = checksum.split(":", 1)[0] if checksum else None
    digest = hashlib.new(algo, usedforsecurity=False) if algo else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    logger.info("Downloading %s to %s", url, dest)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_URL_TIMEOUT_S) as src:
            while chunk := src.read(_CHUNK_SIZE):
                out.write(chunk)
                if digest is not None:
                    digest.update(chunk)
        _check_digest(digest, checksum, url)
        os.replace(tmp_name, dest)
    except BaseException:
        # Also on KeyboardInterrupt: never leave partial files behind.
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return dest


def _safe_members(archive: zipfile.ZipFile, prefix: str) -> list[zipfile.ZipInfo]:
    """Members under ``prefix``; refuse absolute or ``..`` names (zip slip)."""
    members = []
    for info in archive.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts:
            raise ValueError(f"Refusing unsafe path {info.filename!r} in {archive.filename}")
        if info.filename.startswith(prefix) and not info.is_dir():
            members.append(info)
    if not members:
        raise ValueError(f"{archive.filename} contains no files under {prefix!r}")
    return members


def _download_and_extract_zip(
    url: str, target_dir: Path, prefix: str, checksum: str | None = None
) -> None:
    """Download a zip and extract its ``prefix`` folder into ``target_dir``.

    ``prefix`` (e.g. ``"ml-100k/"``) is stripped, so ``ml-100k/u.data`` lands
    at ``target_dir / "u.data"``. Files that already exist are kept, which
    makes the function safe to re-run on a partially populated folder.
    """
    parent = target_dir.parent
    archive_path = _download(url, parent / f".{target_dir.name}.download.zip", checksum)
    # Extract next to the target first so each final move is a same-disk rename.
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", dir=parent))
    try:
        with zipfile.ZipFile(archive_path) as archive:
            for info in _safe_members(archive, prefix):
                rel = PurePosixPath(info.filename[len(prefix) :])
                staged = tmp_dir.joinpath(*rel.parts)
                staged.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, staged.open("wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK_SIZE)
                final = target_dir.joinpath(*rel.parts)
                if not final.exists():
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, final)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        archive_path.unlink(missing_ok=True)
