"""Memory-mapped input: recognise it, read it in blocks, and keep the process's resident memory
bounded while reading it.

Reading a ``numpy.memmap`` maps the file's pages into the process, and the kernel counts them
in its resident set (RSS) until memory runs short, so one pass over a 6 GB file shows as 6 GB
of RSS even though those pages are only the file cache. skae reads memory-mapped data one
block at a time and then unmaps the pages it touched (``madvise(MADV_DONTNEED)``): they stay in
the kernel's page cache, cheap to read again, but no longer count against the process.
"""

import mmap

import numpy as np

__all__ = ["BLOCK_BYTES", "is_memory_mapped", "release_mapped_pages", "row_blocks"]

#: Bytes of input read per block by the passes over memory-mapped data (checks, statistics).
BLOCK_BYTES = 64 * 2**20


def _chain(a):
    while a is not None:
        yield a
        a = getattr(a, "base", None)


def is_memory_mapped(a):
    """Whether ``a`` is, or is a view of, a memory-mapped file (``validate_data`` hands a
    ``numpy.memmap`` on as a plain ndarray view of it)."""
    return any(isinstance(b, np.memmap | mmap.mmap) for b in _chain(a))


def release_mapped_pages(a):
    """Unmap the pages of the file mapping behind ``a`` from this process (a no-op for other
    arrays). Only for shared mappings (``mode`` "r", "r+", "w+"): in a copy-on-write mapping
    (``mode="c"``) unmapping would discard the caller's changes, so it is left alone."""
    modes = [b.mode for b in _chain(a) if isinstance(b, np.memmap)]
    mapping = next((b for b in _chain(a) if isinstance(b, mmap.mmap)), None)
    if mapping is None or not modes or modes[0] == "c" or not hasattr(mmap, "MADV_DONTNEED"):
        return
    try:
        mapping.madvise(mmap.MADV_DONTNEED)
    except (OSError, ValueError):  # a closed mapping, or a platform that refuses: harmless
        pass


def row_blocks(X, block_bytes=None):
    """Yield ``X`` (a dense array) as blocks of rows of about ``block_bytes`` (default
    :data:`BLOCK_BYTES`), unmapping the pages of each block after it was used when ``X`` is
    memory-mapped; one block otherwise."""
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    if not is_memory_mapped(X):
        yield X
        return
    row_bytes = max(1, X.nbytes // max(1, X.shape[0]))
    step = max(1, block_bytes // row_bytes)
    for start in range(0, X.shape[0], step):
        yield X[start:start + step]
        release_mapped_pages(X)
