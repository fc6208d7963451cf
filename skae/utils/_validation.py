"""Input checks that scikit-learn's ``validate_data`` does not make for a float32 network."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite

from skae.utils._memmap import row_blocks

__all__ = [
    "FLOAT32_SAFE_MAX",
    "check_finite_in_blocks",
    "check_float32_range",
    "value_range",
]

#: Largest magnitude accepted in data: its square still fits in float32 (about 1.8e19).
#: Networks compute in float32, and squared errors, Gram matrices and variances square the
#: data; larger values become inf and then NaN instead of an error.
FLOAT32_SAFE_MAX = float(np.sqrt(np.finfo(np.float32).max))


def check_float32_range(X, name="X", bounds=None):
    """Raise a ValueError naming the value when ``X`` holds a magnitude above
    :data:`FLOAT32_SAFE_MAX`; return ``X`` unchanged.

    ``X`` is a validated (finite) numeric array or sparse matrix; ``bounds`` is its
    :func:`value_range` when the caller already has it.
    """
    data = X.data if sp.issparse(X) else X
    if data.size and data.dtype.kind == "f":
        lo, hi = value_range(data) if bounds is None else bounds
        biggest = max(hi, -lo)
        if biggest > FLOAT32_SAFE_MAX:
            raise ValueError(
                f"{name} holds values as large as {biggest:.3g} in magnitude; skae computes in "
                f"float32, whose squares overflow above {FLOAT32_SAFE_MAX:.3g}. Scale the data "
                "(e.g. StandardScaler or MaxAbsScaler) first."
            )
    return X


def value_range(X):
    """``(min, max)`` of a dense array or of a sparse matrix's stored values, read in blocks
    when memory-mapped (no temporary copy, bounded resident memory)."""
    data = X.data if sp.issparse(X) else X
    lo, hi = np.inf, -np.inf
    for block in row_blocks(data):
        if block.size:
            lo, hi = min(lo, float(block.min())), max(hi, float(block.max()))
    return lo, hi


def check_finite_in_blocks(X, input_name="X", estimator_name=None):
    """scikit-learn's finiteness check (same errors) on a memory-mapped array, one block at a
    time, so that the whole file is never resident at once."""
    for block in row_blocks(X):
        assert_all_finite(block, input_name=input_name, estimator_name=estimator_name)
    return X
