"""How many CPU threads torch (and numpy's BLAS) may use: :func:`limit_threads`, and the
count each fit chooses where the user has not (:func:`chosen_threads`)."""

import math
import os
import threading
import time
from contextlib import contextmanager
from numbers import Integral

import torch
from threadpoolctl import threadpool_limits

from skae._openmp import PASSIVE_WAIT

__all__ = ["WORK_PER_THREAD", "choose_threads", "chosen_threads", "limit_threads",
           "user_thread_setting"]

_COUNT_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
# What torch read at its start (it reads the variables once): a count the user set for the run.
_ENV_SETTING = any(os.environ.get(name, "").strip() for name in _COUNT_VARIABLES)
# torch's intra-op count when skae was imported: a different count at fit time was set since.
_IMPORT_COUNT = torch.get_num_threads()
# torch's default count: the inter-op pool's size, which torch computes from the same core
# count as the intra-op default (physical cores) but without the variables above. A count that
# differs from it at skae's import was set earlier (torch.set_num_threads before import skae).
_TORCH_DEFAULT = torch.get_num_interop_threads()

_limits_lock = threading.Lock()
_limits_in_force = 0  # limit_threads() calls not restored yet
_scopes = threading.local()  # .depth: fits of this thread running under fit_threads


class _ThreadLimits:
    """The limits set by :func:`limit_threads`, and the settings to put back."""

    def __init__(self, n_threads):
        global _limits_in_force
        self._torch_threads = torch.get_num_threads()
        self._blas = threadpool_limits(limits=n_threads, user_api="blas")
        torch.set_num_threads(n_threads)
        self._in_force = True
        with _limits_lock:
            _limits_in_force += 1

    def restore(self):
        """Put back the thread counts in force before the limit."""
        global _limits_in_force
        torch.set_num_threads(self._torch_threads)
        self._blas.restore_original_limits()
        if self._in_force:
            self._in_force = False
            with _limits_lock:
                _limits_in_force -= 1

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.restore()


def limit_threads(n_threads=1):
    """Limit the CPU threads of torch and of numpy/scipy's BLAS to ``n_threads``.

    Without it, every skae fit and prediction chooses torch's thread count itself (one thread
    in a joblib worker, one for a small network, more for a large one on cores that are free)
    and puts the caller's count back afterwards: see "Threads" in the user guide. A count set
    here, with ``torch.set_num_threads`` or with ``OMP_NUM_THREADS`` is the user's, and no fit
    changes it. Use it to fix the count: to compare counts, or for results that are the same
    to the last bit from run to run (a sum over more threads is rounded differently).

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


# -- the count of one fit ---------------------------------------------------------------------

#: Multiply-adds per minibatch (rows x parameters, one forward pass) that each thread of a fit
#: should have: below about this, waking and synchronising another thread at every operation
#: costs about what it saves (an estimate, not a tuned value: a 2**22 multiply-add share is
#: ~0.1 ms of one core, waking a sleeping thread tens of microseconds; on 2 busy cores a
#: digits-sized fit ran as fast on one thread as on two). A digits-sized network (64-128-32-128-64,
#: 200 rows: 5e6) trains on one thread, an MNIST-sized one (784-256-32-256-784: 8e7) on up to
#: 20.
WORK_PER_THREAD = 2**22


def _in_joblib_worker():
    """Whether this runs in a task of a joblib ``Parallel`` with several workers.

    joblib runs every task of a parallel call (loky, multiprocessing or threading backend)
    under a nested backend of ``nesting_level`` 1 or more; a sequential call (``n_jobs=1`` or
    None) and code outside any call see level 0.
    """
    try:
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
    except Exception:  # joblib missing or changed: not seen as a worker
        return False
    return (getattr(backend, "nesting_level", 0) or 0) >= 1


def user_thread_setting(*, in_worker=False):
    """How the user set torch's thread count, or None where it is torch's default.

    In order: :func:`limit_threads` in force; ``torch.set_num_threads`` called since skae
    was imported (the count differs from the one at import); ``OMP_NUM_THREADS`` or
    ``MKL_NUM_THREADS`` set when skae was imported; ``torch.set_num_threads`` called before
    skae was imported (the count then differed from torch's default, the inter-op pool's
    size). In a joblib worker (``in_worker``) the variables do not count: joblib's loky
    workers start with ``OMP_NUM_THREADS`` set by joblib, not by the user.
    """
    if _limits_in_force:
        return "limit_threads"
    if torch.get_num_threads() != _IMPORT_COUNT:
        return "torch.set_num_threads"
    if in_worker:
        return None
    if _ENV_SETTING:
        return "OMP_NUM_THREADS"
    if _IMPORT_COUNT != _TORCH_DEFAULT:
        return "torch.set_num_threads before import skae"
    return None


def _usable_cores():
    """The cores this process may run on, at most torch's default count (physical cores)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, _TORCH_DEFAULT))


def _own_cpu_seconds():
    times = os.times()
    return times.user + times.system


def _machine_busy_seconds():
    """CPU seconds the machine's cores that this process may use have been busy since boot
    (``/proc/stat``: user, nice, system, irq, softirq and steal time), or None off Linux."""
    try:
        cpus = {f"cpu{i}" for i in os.sched_getaffinity(0)}
        ticks = 0
        with open("/proc/stat") as stat:
            for line in stat:
                fields = line.split()
                if fields and fields[0] in cpus:
                    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
                        int, fields[1:9])
                    ticks += user + nice + system + irq + softirq + steal
        return ticks / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError):
        return None


class _CoreMonitor:
    """How many of this process's cores the rest of the machine kept busy recently.

    From the machine's busy CPU time (``/proc/stat``) minus this process's own (``os.times``)
    over the time since the previous look (at least ``MIN_WINDOW`` seconds; the first window
    starts at ``import skae``). Off Linux, the 1-minute load average (``os.getloadavg``) minus
    this process's own CPU use; where neither exists, 0 (no load seen).
    """

    MIN_WINDOW = 0.1

    def __init__(self):
        self._lock = threading.Lock()
        self._last = self._sample()
        self._others = 0.0

    @staticmethod
    def _sample():
        return time.monotonic(), _own_cpu_seconds(), _machine_busy_seconds()

    def others_busy(self):
        with self._lock:
            now = self._sample()
            (t0, own0, busy0), (t1, own1, busy1) = self._last, now
            elapsed = t1 - t0
            if elapsed < self.MIN_WINDOW:
                return self._others
            own = (own1 - own0) / elapsed
            if busy0 is not None and busy1 is not None:
                others = (busy1 - busy0) / elapsed - own
            else:
                try:
                    others = os.getloadavg()[0] - own
                except (AttributeError, OSError):
                    others = 0.0
            self._last, self._others = now, max(0.0, others)
            return self._others


_monitor = _CoreMonitor()


def choose_threads(work, *, in_worker=False):
    """The intra-op thread count for a fit (or prediction) of ``work`` multiply-adds per
    minibatch, where the user has not set one (see :func:`chosen_threads`)."""
    if in_worker:
        return 1
    cores = _usable_cores()
    n = min(cores, max(1, int(work // WORK_PER_THREAD)))
    if n > 1 and not PASSIVE_WAIT:
        # Spinning threads on cores that other work uses wait for threads that are not
        # running: only the cores left free (a quarter of a core of background use is noise).
        free = math.floor(cores - _monitor.others_busy() + 0.25)
        n = max(1, min(n, free))
    return n


@contextmanager
def chosen_threads(work):
    """Run the block (one fit, or one prediction) with torch's intra-op thread count chosen
    for ``work`` multiply-adds per minibatch, and put the caller's count back afterwards,
    also when the block raises; yields the count, or None where the count is left alone.

    Left alone: where the user set a count (:func:`user_thread_setting`), and in a fit
    inside a fit (greedy pre-training: the outer choice holds). In a joblib worker, one
    thread: the workers share the cores. Elsewhere, one thread per :data:`WORK_PER_THREAD`
    multiply-adds, at most the usable cores; with OpenMP threads that spin while they wait
    (``OMP_WAIT_POLICY`` not ``PASSIVE``), at most the cores other processes leave free.
    """
    if getattr(_scopes, "depth", 0):
        yield None
        return
    in_worker = _in_joblib_worker()
    if user_thread_setting(in_worker=in_worker) is not None:
        yield None
        return
    before = torch.get_num_threads()
    n = choose_threads(work, in_worker=in_worker)
    _scopes.depth = 1
    try:
        if n != before:
            torch.set_num_threads(n)
        yield n
    finally:
        _scopes.depth = 0
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
