"""Loader of the ODDS outlier-detection benchmark sets (MATLAB ``.mat`` files)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from skae._docs import fill_doc
from skae.datasets._base import _require_file

__all__ = ["ODDS_DATASETS", "load_odds"]

#: The ODDS sets the loader knows: name -> (n_samples, n_features, n_outliers), as in ODDS's
#: published table (Rayana 2016). A file whose shape or outlier count differs is refused.
ODDS_DATASETS = {
    "annthyroid": (7200, 6, 534),
    "arrhythmia": (452, 274, 66),
    "breastw": (683, 9, 239),
    "cardio": (1831, 21, 176),
    "glass": (214, 9, 9),
    "ionosphere": (351, 33, 126),
    "letter": (1600, 32, 100),
    "lympho": (148, 18, 6),
    "mammography": (11183, 6, 260),
    "mnist": (7603, 100, 700),
    "musk": (3062, 166, 97),
    "optdigits": (5216, 64, 150),
    "pendigits": (6870, 16, 156),
    "pima": (768, 8, 268),
    "satellite": (6435, 36, 2036),
    "satimage-2": (5803, 36, 71),
    "shuttle": (49097, 9, 3511),
    "smtp": (95156, 3, 30),
    "thyroid": (3772, 6, 93),
    "vertebral": (240, 6, 30),
    "vowels": (1456, 12, 50),
    "wbc": (378, 30, 21),
}

_URL = "http://odds.cs.stonybrook.edu"
_DESCR = (
    "ODDS outlier-detection benchmark set {name!r} (Rayana 2016): {n} samples, {d} features,\n"
    "{k} outliers ({share:.1%}). y == 1 marks an outlier. Most ODDS sets derive from UCI data\n"
    "sets whose minority classes were made the outliers; cite ODDS (Shebuti Rayana (2016).\n"
    f"ODDS Library [{_URL}]. Stony Brook, NY: Stony Brook University, Department of\n"
    "Computer Science) and the set's original source."
)


def _read_mat(path):
    """``(X, y)`` as stored in ``path``: MATLAB 5 through scipy, MATLAB 7.3 (HDF5) through
    h5py, which stores MATLAB's column-major arrays transposed."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except NotImplementedError:  # "Please use HDF reader for matlab v7.3 files"
        try:
            import h5py
        except ImportError as exc:
            raise ImportError(
                f"{path.name} is a MATLAB 7.3 (HDF5) file, which needs h5py; install it with "
                "`pip install h5py`."
            ) from exc
        with h5py.File(path, "r") as f:
            return np.asarray(f["X"]).T, np.asarray(f["y"]).T
    if "X" not in mat or "y" not in mat:
        raise ValueError(f"{path} has no 'X' and 'y' arrays; found {sorted(mat)}.")
    return mat["X"], mat["y"]


@fill_doc
def load_odds(name, *, data_home=None, return_X_y=False):
    """Load an ODDS outlier-detection set from the data home.

    Reads ``odds/<name>.mat`` (ODDS's own files, as in pyod's benchmark) from the data home
    (``data_home``, else ``$SKAE_DATA``, else ``~/skae_data``). Nothing is downloaded. The
    file's shape and number of outliers are checked against ODDS's table.

    Parameters
    ----------
    name : str
        One of ``skae.datasets.ODDS_DATASETS``: ``"annthyroid"``, ``"arrhythmia"``,
        ``"breastw"``, ``"cardio"``, ``"glass"``, ``"ionosphere"``, ``"letter"``,
        ``"lympho"``, ``"mammography"``, ``"mnist"``, ``"musk"``, ``"optdigits"``,
        ``"pendigits"``, ``"pima"``, ``"satellite"``, ``"satimage-2"``, ``"shuttle"``,
        ``"smtp"``, ``"thyroid"``, ``"vertebral"``, ``"vowels"``, ``"wbc"``. ``smtp`` is a
        MATLAB 7.3 file and needs h5py.
    data_home : str or path-like, default=None
        Folder holding ``odds/``; see :func:`skae.datasets.get_data_home`.
    {return_X_y}
        data : ndarray of shape (n_samples, n_features), dtype float64
            The features, unscaled (as stored; integer-coded sets are cast to float64).
        target : ndarray of shape (n_samples,), dtype int64
            1 for an outlier, 0 for an inlier.
        feature_names : list of str
            ``"x0"``, ``"x1"``, ... (ODDS does not name the features).
        name : str
            The set's name.
        DESCR : str
            Description and citation.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        ``name`` is not an ODDS set skae knows, or the file does not hold what ODDS's table
        says.
    FileNotFoundError
        The file is not in the data home; the message says where it was looked for.
    ImportError
        ``smtp`` without h5py.

    Examples
    --------
    >>> from skae.datasets import load_odds
    >>> X, y = load_odds("cardio", return_X_y=True)
    >>> X.shape, int(y.sum())
    ((1831, 21), 176)
    >>> load_odds("wbc").DESCR.splitlines()[0]
    "ODDS outlier-detection benchmark set 'wbc' (Rayana 2016): 378 samples, 30 features,"
    """
    if name not in ODDS_DATASETS:
        raise ValueError(
            f"Unknown ODDS set {name!r}; the sets are: {', '.join(sorted(ODDS_DATASETS))}."
        )
    path = _require_file(f"odds/{name}.mat", data_home=data_home,
                         hint=f"  - the ODDS .mat files are at {_URL}")
    X, y = _read_mat(path)
    n, d, k = ODDS_DATASETS[name]
    y = np.asarray(y).ravel()
    if X.shape != (n, d) or y.shape != (n,) or not np.isin(y, (0, 1)).all() or y.sum() != k:
        raise ValueError(
            f"{path} does not hold ODDS's {name!r}: expected X of shape {(n, d)} and {k} "
            f"labels equal to 1 out of {n} in {{0, 1}}; got X {X.shape}, y {y.shape} with "
            f"values {np.unique(y)[:5].tolist()}."
        )
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = y.astype(np.int64)
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, feature_names=[f"x{i}" for i in range(d)], name=name,
                 DESCR=_DESCR.format(name=name, n=n, d=d, k=k, share=k / n))
