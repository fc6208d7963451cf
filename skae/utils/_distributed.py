"""Data-parallel training on ``torch.distributed``: which part of each minibatch a process trains
on, and the reductions that keep every process's decisions identical.

An estimator fitted while a ``torch.distributed`` process group of more than one process is
initialised (a ``torchrun`` launch, or ``init_process_group`` by hand) trains one model together
with the other processes: every process is given the same data (an in-memory array or, for data
larger than memory, the same ``numpy.memmap``), draws the same shuffle, and computes the
gradient of its own part of every minibatch; the parts' gradients are averaged by
``DistributedDataParallel`` (gloo on CPUs, NCCL on GPUs). :func:`independent_fits` turns this
off for the fits inside it (each process then fits its own model on its own data).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["Shard", "current_shard", "independent_fits"]

_INDEPENDENT = ContextVar("skae_independent_fits", default=False)


@contextmanager
def independent_fits():
    """Fit estimators without data parallelism inside this block, even in a process group.

    By default an estimator fitted in an initialised ``torch.distributed`` process group of
    several processes trains one model across all of them (see :ref:`scale`). Inside this
    block each process fits its own model on the data it is given, e.g. to run one setting of
    a grid search per process.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import Autoencoder
    >>> from skae.utils import independent_fits
    >>> X = np.random.default_rng(0).random((40, 6))
    >>> with independent_fits():
    ...     ae = Autoencoder(n_components=2, max_iter=3, random_state=0).fit(X)
    >>> ae.n_iter_
    3
    """
    token = _INDEPENDENT.set(True)
    try:
        yield
    finally:
        _INDEPENDENT.reset(token)


@dataclass(frozen=True)
class Shard:
    """This process's place in a data-parallel fit: ``rank`` of ``world_size`` processes."""

    rank: int
    world_size: int

    def part(self, idx, start, stop):
        """This process's part of the global minibatch ``idx`` (a slice ``start:stop`` or an
        index tensor of ``stop - start`` rows): contiguous pieces whose sizes differ by at most
        one row, so a memory-mapped file is read in as few pieces as possible."""
        n = stop - start
        lo = (self.rank * n) // self.world_size
        hi = ((self.rank + 1) * n) // self.world_size
        if isinstance(idx, slice):
            return slice(start + lo, start + hi)
        return idx[lo:hi]

    def _device(self, device):
        # NCCL reduces CUDA tensors only; gloo reduces CPU tensors.
        return device if dist.get_backend() == "nccl" else torch.device("cpu")

    def all_sum(self, values, device):
        """The sums over all processes of a sequence of numbers (float64 on every process)."""
        t = torch.tensor([float(v) for v in values], dtype=torch.float64,
                         device=self._device(device))
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.cpu().tolist()

    def any(self, flag, device):
        """Whether ``flag`` is true on any process (e.g. a callback asked to stop)."""
        return self.all_sum([1.0 if flag else 0.0], device)[0] > 0


def current_shard():
    """The :class:`Shard` of this process when a fit here should be data-parallel, else None.

    Data-parallel when ``torch.distributed`` is available and initialised with more than one
    process, outside :func:`independent_fits`.
    """
    if (_INDEPENDENT.get() or not dist.is_available() or not dist.is_initialized()
            or dist.get_world_size() < 2):
        return None
    return Shard(dist.get_rank(), dist.get_world_size())


def data_parallel_device(device):
    """The device of this process in a data-parallel fit: ``"cuda"`` without an index means
    the current CUDA device of the process (``torch.cuda.set_device(local_rank)``, as torchrun
    scripts do), so that processes on one machine use different GPUs."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device
