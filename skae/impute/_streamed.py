"""Memory-mapped input for :class:`~skae.AutoencoderImputer`: statistics in blocks, and the
standardised rows and observation masks the network trains on computed one minibatch at a
time, so that no copy of the whole data is held (as the engine does for the autoencoders)."""

import numpy as np

from skae._engine import StreamedRows
from skae.utils._memmap import row_blocks
from skae.utils._sklearn_compat import _get_mask

__all__ = ["BLOCK_BYTES", "StandardizedRows", "observed_statistics"]

#: Bytes of a memory-mapped input read per block by the passes that build temporaries of the
#: block's size (masks, centred values and their squares): a few times this is allocated.
BLOCK_BYTES = 2 * 2**20


def observed_statistics(X, missing_values):
    """Per feature: the number of observed entries, their mean and their variance (float64).

    Two passes over the rows (the mean, then the squared deviations from it), one block at a
    time when ``X`` is memory-mapped; an array in memory is one block, and the result is then
    exactly that of the whole-array computation.
    """
    d = X.shape[1]
    counts, sums, squares = np.zeros(d, dtype=np.int64), np.zeros(d), np.zeros(d)
    for block in row_blocks(X, BLOCK_BYTES):
        observed = ~_get_mask(block, missing_values)
        counts += observed.sum(axis=0)
        sums += np.asarray(np.where(observed, block, 0.0), dtype=np.float64).sum(axis=0)
    mean = sums / np.maximum(counts, 1)
    for block in row_blocks(X, BLOCK_BYTES):
        missing = _get_mask(block, missing_values)
        # In place: one temporary of the block's size.
        values = np.asarray(np.where(missing, 0.0, block), dtype=np.float64)
        values -= mean
        values[missing] = 0.0
        values **= 2
        squares += values.sum(axis=0)
        del values, missing  # before the next block's are made
    return counts, mean, squares / np.maximum(counts, 1)


class _Standardizer:
    """``standardize(rows) -> (Z, observed)`` with the result of the last call kept, so that
    the input and the masks of one minibatch are computed once."""

    def __init__(self, standardize):
        self.standardize = standardize
        self.key, self.value = None, None

    def __call__(self, reader, idx):
        key = (reader.rows, idx)
        if self.key is None or not all(a is b for a, b in zip(self.key, key, strict=True)):
            self.key, self.value = key, self.standardize(StreamedRows.take(reader, idx))
        return self.value


class StandardizedRows(StreamedRows):
    """The rows of a memory-mapped ``X`` as the imputer's network reads them: part 0, the
    standardised values (zeros where missing), or part 1, the observation mask; read and
    computed one minibatch at a time by ``standardize`` (the imputer's ``_standardize``)."""

    def __init__(self, array, standardizer, part, width, rows=None):
        super().__init__(array, array.dtype, rows)
        self.standardizer, self.part, self.width = standardizer, part, width

    @classmethod
    def pair(cls, array, standardize, width):
        """The values and the masks of ``array``, sharing one computation per minibatch."""
        standardizer = _Standardizer(standardize)
        return cls(array, standardizer, 0, width), cls(array, standardizer, 1, width)

    @property
    def shape(self):
        return (super().shape[0], self.width)

    def take(self, idx):
        return self.standardizer(self, idx)[self.part]

    def subset(self, idx):
        rows = np.asarray(idx) if self.rows is None else self.rows[idx]
        return StandardizedRows(self.array, self.standardizer, self.part, self.width, rows)

    def as_array(self):
        """Every row, computed (a float32 copy of the whole data)."""
        return self.take(slice(None))
