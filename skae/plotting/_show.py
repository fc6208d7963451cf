"""Show the figures of a script, or write them to files where there is no display."""

import itertools
import os
import sys
from pathlib import Path

__all__ = ["show_or_save"]

# matplotlib's backends that draw to files only: plt.show() does nothing with them, so a
# script run on a machine without a display (Agg is matplotlib's fallback there) would
# compute its figures and lose them.
_FILE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}

# One count per script name, so that figures of later calls never overwrite earlier ones.
_COUNTERS = {}


def show_or_save(name=None, *, folder=None):
    """Show the open figures, or write them as PNG files when there is no display.

    With an interactive backend this is ``plt.show()``. With a non-interactive one (Agg,
    matplotlib's choice on a machine without a display, or ``MPLBACKEND=agg``) every open
    figure is written to ``<folder>/<name>_<k>.png`` and closed, and the paths are printed.
    Under the documentation's gallery (``SKAE_GALLERY`` set), which collects the figures
    itself, nothing is written.

    Parameters
    ----------
    name : str, default=None
        Start of the file names; None: the name of the running script (``sys.argv[0]``).
    folder : str or path-like, default=None
        Where to write (created if missing); None: ``$SKAE_FIGURES`` if set, else the
        current folder.

    Returns
    -------
    paths : list of pathlib.Path
        The files written (empty when the figures were shown).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("agg")
    >>> import matplotlib.pyplot as plt
    >>> from skae.plotting import show_or_save
    >>> plt.close("all")  # only this example's figure is open
    >>> _ = plt.plot([0, 1], [1, 0])
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +ELLIPSIS
    ...     paths = show_or_save("demo", folder=tmp)
    wrote .../demo_1.png
    >>> [p.name for p in paths]
    ['demo_1.png']
    """
    import matplotlib
    import matplotlib.pyplot as plt

    if matplotlib.get_backend().lower() not in _FILE_BACKENDS:
        plt.show()
        return []
    if os.environ.get("SKAE_GALLERY"):
        return []
    name = name or Path(sys.argv[0]).stem or "figure"
    folder = Path(folder or os.environ.get("SKAE_FIGURES") or ".")
    if plt.get_fignums():
        folder.mkdir(parents=True, exist_ok=True)
    counter = _COUNTERS.setdefault(name, itertools.count(1))
    paths = []
    for number in plt.get_fignums():
        path = folder / f"{name}_{next(counter)}.png"
        plt.figure(number).savefig(path, dpi=100, bbox_inches="tight")
        plt.close(number)
        print(f"wrote {path}")
        paths.append(path)
    return paths
