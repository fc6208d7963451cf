"""Data home resolution, missing-file errors and opt-in downloads.

Loaders in :mod:`skae.datasets` read plain files from a *data home* folder and
never touch the network unless the caller passes ``download_if_missing=True``.
Downloads go through pooch, an optional dependency imported only then.
"""

from __future__ import annotations

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


def _absolute(path):
    """``path`` with ``~`` expanded, made absolute against the current folder once, so that
    errors show where skae looked, whatever folder the code later runs from."""
    return Path(os.path.abspath(os.path.expanduser(path)))


def _resolve_data_home(data_home: str | os.PathLike | None = None) -> tuple[Path, str]:
    """Return the data home and a human-readable note on how it was chosen."""
    if data_home is not None:
        return _absolute(data_home), "passed as the data_home argument"
    env = os.environ.get(DATA_HOME_ENV)
    # An empty variable is treated as unset: ``SKAE_DATA= pytest`` is a common
    # way to "unset" it, and Path("") would silently mean the current folder.
    if env:
        return _absolute(env), f"from the {DATA_HOME_ENV} environment variable"
    return (
        _absolute(_DEFAULT_DATA_HOME),
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


def _import_pooch(url: str):
    """Import pooch, the optional download dependency, with an actionable error if absent."""
    try:
        import pooch
    except ImportError as exc:
        raise ImportError(
            f"Downloading {url} needs pooch, which is not installed. Install it with "
            "`pip install pooch` (or `pip install skae[download]`), or put the file in the "
            "data home by hand."
        ) from exc
    return pooch


def _copy_file_url(url: str, output_file: str, pooch_instance=None) -> None:
    """A pooch downloader for ``file://`` URLs (local mirrors, tests)."""
    with urllib.request.urlopen(url) as src, open(output_file, "wb") as out:
        shutil.copyfileobj(src, out, _CHUNK_SIZE)


def _download(url: str, dest: Path, checksum: str | None = None) -> Path:
    """Download ``url`` to ``dest`` with pooch, verifying ``checksum``.

    pooch writes to a temporary file next to ``dest`` and moves it onto ``dest`` only once
    complete and verified, so a failed or interrupted download leaves nothing behind.

    Parameters
    ----------
    url : str
        Source URL (``https://``, ``http://``, ``ftp://`` or ``file://``).
    dest : pathlib.Path
        Final path; parent folders are created.
    checksum : str, default=None
        ``"sha256:<hex>"`` or ``"md5:<hex>"``; ``None`` skips verification.

    Returns
    -------
    dest : pathlib.Path
        The downloaded file.

    Raises
    ------
    ImportError
        pooch is not installed.
    OSError
        A checksum mismatch (or a network error); no file is left behind.
    """
    pooch = _import_pooch(url)
    downloader = _copy_file_url if url.startswith("file:") else None
    try:
        path = pooch.retrieve(
            url, known_hash=checksum, fname=dest.name, path=dest.parent, downloader=downloader
        )
    except ValueError as exc:
        if "does not match the known hash" not in str(exc):
            raise
        raise OSError(
            f"Checksum mismatch for {url}: {exc} Retry later or fetch the file by hand."
        ) from exc
    return Path(path)


def _extraction_plan(
    archive: zipfile.ZipFile, prefix: str, target_dir: Path
) -> list[tuple[zipfile.ZipInfo, Path]]:
    """List the files under ``prefix`` and where each lands; refuse any unsafe member.

    Every member, extracted or not, must resolve inside ``target_dir`` (``prefix``
    stripped); an absolute name, a ``..`` or an empty component such as
    ``ml-100k//etc/x`` that escapes it is a ValueError, raised before anything is written.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The open archive.
    prefix : str
        Folder of the archive to extract, with its trailing slash (``"ml-100k/"``).
    target_dir : pathlib.Path
        Where the files under ``prefix`` go.

    Returns
    -------
    plan : list of (zipfile.ZipInfo, pathlib.Path)
        Each file member under ``prefix`` and its resolved destination.

    Raises
    ------
    ValueError
        A member would land outside ``target_dir``, or no file is under ``prefix``.
    """
    root = target_dir.resolve()
    plan = []
    for info in archive.infolist():
        name = info.filename
        under = name.startswith(prefix)
        # The same expression computes the check and the destination: no second parsing.
        dest = root.joinpath(name[len(prefix) :] if under else name).resolve()
        if root not in dest.parents and not (info.is_dir() and dest == root):
            raise ValueError(
                f"Refusing to extract {archive.filename}: unsafe member {name!r} would be "
                f"written to {dest}, outside {target_dir}. Nothing was extracted."
            )
        if under and not info.is_dir():
            plan.append((info, dest))
    if not plan:
        raise ValueError(f"{archive.filename} contains no files under {prefix!r}")
    return plan


def _download_and_extract_zip(
    url: str, target_dir: Path, prefix: str, checksum: str | None = None
) -> None:
    """Download a zip and extract its ``prefix`` folder into ``target_dir``.

    ``prefix`` (e.g. ``"ml-100k/"``) is stripped, so ``ml-100k/u.data`` lands
    at ``target_dir / "u.data"``. Files that already exist are kept, which
    makes the function safe to re-run on a partially populated folder. An
    archive with a member that would land outside ``target_dir`` is refused
    (ValueError) before anything is extracted. The archive is deleted after.

    Parameters
    ----------
    url : str
        The zip's URL.
    target_dir : pathlib.Path
        Destination folder; the archive is downloaded next to it.
    prefix : str
        Folder of the archive to extract, with its trailing slash.
    checksum : str, default=None
        See :func:`_download`.
    """
    parent = target_dir.parent
    archive_path = _download(url, parent / f".{target_dir.name}.download.zip", checksum)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            plan = _extraction_plan(archive, prefix, target_dir)
            root = target_dir.resolve()
            # Extract next to the target first so each final move is a same-disk rename.
            tmp_dir = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", dir=parent))
            try:
                for info, final in plan:
                    staged = tmp_dir / final.relative_to(root)
                    staged.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as src, staged.open("wb") as out:
                        shutil.copyfileobj(src, out, _CHUNK_SIZE)
                    if not final.exists():
                        final.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(staged, final)
            finally:
                shutil.rmtree(tmp_dir, ignore_errors=True)
    finally:
        archive_path.unlink(missing_ok=True)
