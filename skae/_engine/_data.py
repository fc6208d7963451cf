"""Data serving: aligned arrays whose rows are served to the training loop as device tensors.

Dense arrays are copied once into a tensor (or shared), sparse matrices are densified one
minibatch at a time, and memory-mapped or very large arrays are read one minibatch at a time
(:class:`StreamedRows`). Each array of a source may be named; a minibatch is then a named tuple
(:func:`batch_type`), so a loss function reads ``batch.x`` or ``batch.labels`` instead of
telling layouts apart by their length.
"""

from collections import namedtuple
from functools import cache

import numpy as np
import scipy.sparse as sp
import torch

from skae.utils._memmap import is_memory_mapped, release_mapped_pages

__all__ = [
    "STREAM_ABOVE_BYTES",
    "STREAM_WINDOW_BATCHES",
    "BatchSource",
    "StreamedRows",
    "batch_type",
    "column_sums",
    "iter_batches",
]



# Dense data up to this size is permuted as a whole once per epoch (see iter_batches).
_PERMUTE_ONCE_BYTES = 16 * 2**20

#: Dense arrays whose float32 (or int64) copy would be larger than this, and every
#: numpy.memmap, are read one minibatch at a time instead of copied (see BatchSource).
STREAM_ABOVE_BYTES = 256 * 2**20

# Bytes read from a memory-mapped file between two unmappings of its pages (StreamedRows.take):
# a page holds at most 2 rows' worth of untouched bytes, so at most about twice this is resident.
_RELEASE_EVERY_BYTES = 32 * 2**20

#: Minibatches per window of the shuffle of streamed data (see _window_permutation).
STREAM_WINDOW_BATCHES = 16

@cache
def batch_type(fields):
    """The named tuple of a minibatch with arrays ``fields`` (a tuple of names): its tensors
    are read by name (``batch.x``) or unpacked by position, and ``"labels" in
    batch._fields`` tells what a source holds."""
    return namedtuple("Batch", fields)


def _rows(tensor, idx):
    """Rows ``idx`` of ``tensor``. ``index_select``, not ``tensor[idx]``: measured here, a
    256-row gather from a 20,000 x 784 float32 tensor takes 54 us with it against 179 us with
    advanced indexing, about a tenth of a training step of a 784-32-784 autoencoder."""
    return torch.index_select(tensor, 0, idx)


class StreamedRows:
    """A numpy array (a ``numpy.memmap``, a float64 or read-only array...) whose rows are read
    and converted to ``dtype`` one minibatch at a time, so no converted copy of it is held.

    ``rows`` (an index array, or None for all rows) makes a lazy subset, such as the
    validation part of early stopping.
    """

    def __init__(self, array, dtype, rows=None):
        self.array, self.dtype, self.rows = array, dtype, rows
        self._unreleased = 0  # bytes read from a file mapping since its pages were unmapped

    @property
    def shape(self):
        n = self.array.shape[0] if self.rows is None else len(self.rows)
        return (n, *self.array.shape[1:])

    def take(self, idx):
        """Rows ``idx`` (numpy indices or a slice) as a C-contiguous array of ``dtype``."""
        if self.rows is not None:
            idx = self.rows[idx]
        if isinstance(idx, slice):
            # Always a copy: a slice of a read-only memmap of the right dtype would otherwise
            # be handed on as a read-only view, which torch cannot wrap safely.
            rows = np.array(self.array[idx], dtype=self.dtype, order="C", copy=True)
        else:
            # Sorted reads are sequential on disk; the batch's order is restored after.
            order = np.argsort(idx, kind="stable")
            rows = np.empty((len(idx), *self.array.shape[1:]), dtype=self.dtype)
            rows[order] = self.array[idx[order]]
        # The rows are copied out: unmap the file's pages now and then, so that the resident
        # memory of a pass over a large memmap stays bounded (see skae.utils._memmap). Not
        # after every batch: the next batches of a shuffle window touch the same pages again,
        # and unmapping costs a page fault per page touched (measured: 3 ms a batch of 200
        # rows of 784 floats when unmapping every time).
        self._unreleased += rows.nbytes
        if self._unreleased >= _RELEASE_EVERY_BYTES:
            release_mapped_pages(self.array)
            self._unreleased = 0
        return rows

    def subset(self, idx):
        return StreamedRows(self.array, self.dtype,
                            np.asarray(idx) if self.rows is None else self.rows[idx])

    def as_array(self):
        """The rows as a numpy array (the array itself when there is no subset)."""
        return self.array if self.rows is None else self.array[self.rows]

    def min_max(self, batch_size=4096):
        """Smallest and largest value, read batch by batch."""
        lo, hi = np.inf, -np.inf
        for start in range(0, self.shape[0], batch_size):
            block = self.take(slice(start, start + batch_size))
            lo, hi = min(lo, float(block.min())), max(hi, float(block.max()))
        return lo, hi


class BatchSource:
    """Aligned arrays whose rows are served as tensors on ``device``.

    ``arrays`` is a sequence of arrays, or a dict of them by name: a minibatch is then a named
    tuple of the same names (:func:`batch_type`), else a plain tuple.

    Dense arrays are copied once into a tensor on the device (float32, or int64 for integer
    arrays), or shared when they already are one; scipy.sparse matrices stay sparse (CSR) and
    only the rows of one minibatch are densified, so the whole matrix never is. A
    ``numpy.memmap``, and any array whose converted copy would exceed
    ``STREAM_ABOVE_BYTES``, is read one minibatch at a time (:class:`StreamedRows`): data
    larger than memory trains with the memory of a few minibatches.
    """

    def __init__(self, arrays, device):
        self.device = torch.device(device)
        if isinstance(arrays, dict):
            self.fields, arrays = tuple(arrays), list(arrays.values())
        else:
            self.fields = None
        self.arrays = [self._prepare(a) for a in arrays]
        lengths = {a.shape[0] for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"Arrays have different numbers of rows: {sorted(lengths)}.")
        self.n_samples = lengths.pop()
        # Rows of the data this source was cut from (a validation split keeps the count).
        self.full_length = self.n_samples

    def _prepare(self, a):
        if sp.issparse(a):
            return sp.csr_matrix(a, dtype=np.float32)
        if isinstance(a, StreamedRows | torch.Tensor):
            return a
        memmap = is_memory_mapped(a)
        a = a if memmap else np.asarray(a)
        dtype = np.int64 if np.issubdtype(a.dtype, np.integer) else np.float32
        if (not memmap and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
                and self.device.type == "cpu"):
            # Share the caller's memory (nothing here writes to it): no second copy of X.
            return torch.from_numpy(a)
        if memmap or a.size * np.dtype(dtype).itemsize > STREAM_ABOVE_BYTES:
            return StreamedRows(a, dtype)
        # Otherwise one converted copy (a read-only array is never handed to torch as is).
        return torch.tensor(np.asarray(a, dtype=dtype), device=self.device)

    def __len__(self):
        return self.n_samples

    def array(self, name):
        """The array named ``name`` (of a source built from a dict of named arrays)."""
        if self.fields is None or name not in self.fields:
            raise KeyError(f"This source has no array named {name!r} (it has {self.fields}).")
        return self.arrays[self.fields.index(name)]

    def has(self, name):
        """Whether this source holds an array named ``name``."""
        return self.fields is not None and name in self.fields

    def take(self, idx):
        """Rows ``idx`` (a 1-D CPU index tensor or a slice) of every array, as device tensors."""
        out = []
        np_idx = idx.numpy() if isinstance(idx, torch.Tensor) else idx
        for a in self.arrays:
            if isinstance(a, torch.Tensor):
                out.append(_rows(a, idx.to(a.device)) if isinstance(idx, torch.Tensor)
                           else a[idx])
            elif isinstance(a, StreamedRows):
                out.append(torch.from_numpy(a.take(np_idx)).to(self.device))
            else:
                out.append(torch.from_numpy(a[np_idx].toarray()).to(self.device))
        return tuple(out) if self.fields is None else batch_type(self.fields)(*out)

    @property
    def is_streamed(self):
        return any(isinstance(a, StreamedRows) for a in self.arrays)

    @property
    def nbytes(self):
        return sum(a.element_size() * a.nelement() if isinstance(a, torch.Tensor)
                   else a.data.nbytes for a in self.arrays if not isinstance(a, StreamedRows))

    @property
    def is_dense(self):
        return all(isinstance(a, torch.Tensor) for a in self.arrays)

    def permuted(self, perm):
        """A dense source whose rows are this one's in the order ``perm``."""
        new = object.__new__(BatchSource)
        new.device, new.n_samples, new.full_length = self.device, self.n_samples, self.full_length
        new.fields = self.fields
        new.arrays = [_rows(a, perm.to(self.device)) for a in self.arrays]
        return new

    def subset(self, idx):
        """A new source holding rows ``idx`` (numpy indices), e.g. a validation split."""
        new = object.__new__(BatchSource)
        new.device, new.full_length, new.fields = self.device, self.full_length, self.fields
        t_idx = torch.as_tensor(idx, dtype=torch.int64)
        new.arrays = [_rows(a, t_idx.to(a.device)) if isinstance(a, torch.Tensor)
                      else a.subset(idx) if isinstance(a, StreamedRows) else a[idx]
                      for a in self.arrays]
        new.n_samples = len(idx)
        return new


def iter_batches(source, batch_size, generator=None, shard=None):
    """Yield minibatches of ``source``; shuffled with ``generator`` when one is given.

    Small dense data is permuted with one gather per epoch and then served as contiguous
    slices: measured here, eight small gathers per epoch cost more than one large one. Larger
    data is gathered batch by batch, so no second copy of it is ever held. With a ``shard``
    (a data-parallel fit) only this process's part of each minibatch is read and yielded.
    """
    for batch, _ in _iter_batches(source, batch_size, generator, shard):
        yield batch


def _iter_batches(source, batch_size, generator, shard):
    """:func:`iter_batches`, yielding ``(batch, rows of the whole minibatch)``."""
    n = len(source)
    if generator is None:
        perm = None
    elif source.is_streamed:
        perm = _window_permutation(n, batch_size, generator)
    else:
        perm = torch.randperm(n, generator=generator)
    if perm is not None and source.is_dense and source.nbytes <= _PERMUTE_ONCE_BYTES:
        source, perm = source.permuted(perm), None
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        idx = slice(start, stop) if perm is None else perm[start:stop]
        if shard is not None:
            idx = shard.part(idx, start, stop)
        yield source.take(idx), stop - start


def _window_permutation(n, batch_size, generator):
    """A shuffle that reads streamed data in large sequential pieces.

    The rows are cut into windows of ``STREAM_WINDOW_BATCHES`` minibatches; the windows are
    visited in random order and the rows of each window are shuffled among themselves, so a
    minibatch mixes rows from across its window and every window is read from disk once per
    epoch. Rows far apart in the file never share a minibatch: on data stored in a
    meaningful order (sorted by class, by time), shuffle the file once beforehand.
    """
    window = batch_size * STREAM_WINDOW_BATCHES
    starts = torch.randperm((n + window - 1) // window, generator=generator) * window
    parts = [start + torch.randperm(min(window, n - int(start)), generator=generator)
             for start in starts]
    return torch.cat(parts)


def column_sums(source, fn=None, batch_size=4096):
    """Per-column sums of ``fn(x)`` (default ``x``) over the rows of ``source``'s first array.

    Batch by batch, so sparse data stay sparse and only one batch is ever dense; accumulated
    in float64 on the CPU. Returns a float64 tensor of length n_columns.
    """
    total = torch.zeros(source.arrays[0].shape[1], dtype=torch.float64)
    for batch in iter_batches(source, batch_size):
        x = batch[0] if fn is None else fn(batch[0])
        total += x.sum(dim=0).cpu().double()
    return total
