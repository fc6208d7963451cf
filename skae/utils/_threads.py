"""How many CPU threads torch (and numpy's BLAS) may use: :func:`limit_threads`."""

from numbers import Integral

import torch
from threadpoolctl import threadpool_limits

__all__ = ["limit_threads"]


class _ThreadLimits:
    """The limits set by :func:`limit_threads`, and the settings to put back."""

    def __init__(self, n_threads):
        self._torch_threads = torch.get_num_threads()
        self._blas = threadpool_limits(limits=n_threads, user_api="blas")
        torch.set_num_threads(n_threads)

    def restore(self):
        """Put back the thread counts in force before the limit."""
        torch.set_num_threads(self._torch_threads)
        self._blas.restore_original_limits()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.restore()


def limit_threads(n_threads=1):
    """Limit the CPU threads of torch and of numpy/scipy's BLAS to ``n_threads``.

    torch runs each operation on as many threads as the machine has cores. On a small or shared
    machine these threads wait for one another and for every other busy process at each
    training step: on 2 shared cores under load, fitting with 2 threads was 11 to 30 times
    slower than with 1, for digits-sized and MNIST-sized networks alike. One thread is then
    the fast choice. On a machine of your own with many cores, large networks gain from more.

    Call it once at the top of a script, ``limit_threads(1)``, or use it as a context manager
    to limit one block and put the previous settings back after it. It sets
    :func:`torch.set_num_threads` (torch's OpenMP and MKL threads) and, through threadpoolctl,
    the BLAS threads of numpy and scipy (used by scikit-learn's PCA, for instance). Worker
    processes that joblib starts for ``n_jobs`` get their own limits from joblib.

    Parameters
    ----------
    n_threads : int, default=1
        The number of threads, at least 1.

    Returns
    -------
    limits : context manager
        Leaving its ``with`` block, or calling its ``restore()`` method, puts back the thread
        counts in force before the call.

    See Also
    --------
    torch.set_num_threads : The setting of torch alone.
    threadpoolctl.threadpool_limits : The same for native libraries; alone, it does not
        override a count set by ``torch.set_num_threads``.

    Notes
    -----
    Setting the environment variable ``OMP_NUM_THREADS=1`` before Python starts limits a
    whole run the same way.

    Examples
    --------
    >>> import torch
    >>> from skae.utils import limit_threads
    >>> before = torch.get_num_threads()
    >>> with limit_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if not isinstance(n_threads, Integral) or isinstance(n_threads, bool) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive integer, got {n_threads!r}.")
    return _ThreadLimits(int(n_threads))
