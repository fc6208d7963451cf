"""Input checks that scikit-learn's ``validate_data`` does not make for a float32 network."""

import numpy as np
import scipy.sparse as sp

__all__ = ["FLOAT32_SAFE_MAX", "check_float32_range"]

#: Largest magnitude accepted in data: its square still fits in float32 (about 1.8e19).
#: Networks compute in float32, and squared errors, Gram matrices and variances square the
#: data; larger values become inf and then NaN instead of an error.
FLOAT32_SAFE_MAX = float(np.sqrt(np.finfo(np.float32).max))


def check_float32_range(X, name="X"):
    """Raise a ValueError naming the value when ``X`` holds a magnitude above
    :data:`FLOAT32_SAFE_MAX`; return ``X`` unchanged.

    ``X`` is a validated (finite) numeric array or sparse matrix.
    """
    data = X.data if sp.issparse(X) else np.asarray(X)
    if data.size and data.dtype.kind == "f":
        # max and min, not abs: no temporary copy of a large (memory-mapped) array.
        biggest = max(float(data.max()), -float(data.min()))
        if biggest > FLOAT32_SAFE_MAX:
            raise ValueError(
                f"{name} holds values as large as {biggest:.3g} in magnitude; skae computes in "
                f"float32, whose squares overflow above {FLOAT32_SAFE_MAX:.3g}. Scale the data "
                "(e.g. StandardScaler or MaxAbsScaler) first."
            )
    return X
