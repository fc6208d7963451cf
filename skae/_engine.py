"""The one training loop of skae.

Every estimator in the package trains through :func:`fit_loop`: minibatches sliced from one
tensor (dense) or densified per batch (scipy.sparse), an optimizer step per batch, no host
synchronisation inside an epoch, early stopping on a monitored loss with the best weights
restored, and a non-finite loss that stops training with the last good weights in place.

The module knows nothing of scikit-learn. The estimator hands in a ``loss_fn(module, batch,
ctx)`` that returns a scalar tensor, where ``ctx`` is the :class:`StepContext` of the fit call
(generator, device, epoch, step count, training or evaluation), optionally :class:`Hooks`
called around each epoch, and one optimizer or several; it gets back a :class:`History`.
"""

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim import optimizer as torch_optimizer
from torch.optim.adam import adam as adam_update
from tqdm.auto import tqdm

from skae.utils._interrupt import interrupt_is_raised  # issue 26
from skae.utils._memmap import is_memory_mapped, release_mapped_pages
from skae.utils._stack import external_stacklevel

if TYPE_CHECKING:
    from skae.utils._distributed import Shard

__all__ = [
    "BatchSource",
    "StreamedRows",
    "History",
    "Hooks",
    "StepContext",
    "NonFiniteLossError",
    "evaluate",
    "fit_loop",
    "flush_denormal",
    "iter_batches",
    "make_adam",
    "make_lbfgs",
    "resolve_device",
    "restore",
    "snapshot",
    "SCHEDULES",
    "column_sums",
]

# Learning-rate schedules of :func:`fit_loop` (the ``learning_rate`` parameter of estimators).
SCHEDULES = ("constant", "adaptive", "cosine")

# "adaptive" divides the step size by this factor on a plateau and stops below _ADAPTIVE_MIN_LR,
# as scikit-learn's MLP does with ``learning_rate="adaptive"``.
_ADAPTIVE_FACTOR = 5.0
_ADAPTIVE_MIN_LR = 1e-6


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


class NonFiniteLossError(FloatingPointError, ValueError):
    """Training produced a NaN or infinite loss; the last good weights were kept.

    Subclasses both :class:`FloatingPointError` and :class:`ValueError` so that code written for
    scikit-learn (which raises ``ValueError`` on non-finite weights) catches it too.
    """


def resolve_device(device):
    """Turn the ``device`` parameter ("cpu", "cuda", "cuda:1", "auto") into a ``torch.device``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available in this torch build "
            f"({torch.__version__}); use device='cpu' or device='auto'."
        )
    return dev


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

    Dense arrays are copied once into a tensor on the device (float32, or int64 for integer
    arrays), or shared when they already are one; scipy.sparse matrices stay sparse (CSR) and
    only the rows of one minibatch are densified, so the whole matrix never is. A
    ``numpy.memmap``, and any array whose converted copy would exceed
    ``STREAM_ABOVE_BYTES``, is read one minibatch at a time (:class:`StreamedRows`): data
    larger than memory trains with the memory of a few minibatches.
    """

    def __init__(self, arrays, device):
        self.device = torch.device(device)
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
        return tuple(out)

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
        new.arrays = [_rows(a, perm.to(self.device)) for a in self.arrays]
        return new

    def subset(self, idx):
        """A new source holding rows ``idx`` (numpy indices), e.g. a validation split."""
        new = object.__new__(BatchSource)
        new.device, new.full_length = self.device, self.full_length
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


def make_adam(module, learning_rate, alpha=0.0, param_groups=None):
    """Adam with L2 weight decay ``alpha`` on weight matrices only (biases are not shrunk).

    ``param_groups`` (a list of dicts with ``"params"`` and optionally ``"weight_decay"``,
    default ``alpha``, and ``"lr_scale"``, a factor on the step size that schedules keep)
    replaces the default split of ``module``'s parameters into weight matrices and the rest,
    for models whose parts need their own penalty or step size.

    Uses the fused implementation where the device supports it: measured on a 2-core CPU it
    cut the per-step overhead that dominates small networks.
    """
    if param_groups is not None:
        groups = [{"weight_decay": float(alpha), "lr_scale": 1.0, **g} for g in param_groups]
        for g in groups:
            g["params"] = [p for p in g["params"] if p.requires_grad]
            g["lr"] = learning_rate * g["lr_scale"]
    else:
        decay, no_decay = [], []
        for p in module.parameters():
            if p.requires_grad:
                (decay if p.ndim >= 2 else no_decay).append(p)
        if alpha == 0:  # one group: half the per-step optimizer bookkeeping
            groups = [{"params": decay + no_decay, "weight_decay": 0.0}]
        else:
            groups = [{"params": decay, "weight_decay": float(alpha)},
                      {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    try:
        return torch.optim.Adam(groups, lr=learning_rate, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - devices without a fused kernel
        return torch.optim.Adam(groups, lr=learning_rate, foreach=True)


def make_lbfgs(module, learning_rate=1.0, max_iter=20, history_size=10):
    """Full-batch L-BFGS with a strong-Wolfe line search; one :func:`fit_loop` epoch is one
    ``step`` of up to ``max_iter`` L-BFGS iterations.

    L-BFGS has no weight decay: an L2 penalty belongs in the loss. ``history_size`` is small
    because the engine snapshots the optimizer state every epoch (for the NaN restore) and each
    history pair holds two vectors of the size of the parameters.
    """
    params = [p for p in module.parameters() if p.requires_grad]
    return torch.optim.LBFGS(params, lr=learning_rate, max_iter=max_iter,
                             history_size=history_size, line_search_fn="strong_wolfe")


@dataclass
class History:
    """What a model remembers of its training across ``fit``/``partial_fit`` calls.

    ``n_steps`` counts the optimizer steps taken since the model was started (schedules that
    depend on updates, such as KL annealing, read it through :class:`StepContext`), and
    ``state`` holds what an estimator's hooks need to keep from one call to the next (a noise
    range measured on the first training data, an annealing length...). Both travel with the
    model, so a warm start or ``partial_fit`` continues exactly where the last call ended.
    """

    loss_curve: list = field(default_factory=list)
    validation_loss_curve: list | None = None
    best_loss: float = math.inf
    no_improvement_count: int = 0
    n_steps: int = 0
    state: dict = field(default_factory=dict)


@dataclass
class StepContext:
    """Everything a training step may need besides the module and the batch, passed explicitly.

    The engine hands one context to every hook of a fit call (``loss_fn``, the epoch hooks of
    :class:`Hooks`, ``build`` functions of estimators), so nothing needs to be stashed on an
    estimator while it trains.

    Attributes
    ----------
    generator : torch.Generator or None
        The generator of this fit call (seeded from ``random_state``): shuffling, corruption
        noise, dropout masks and reparameterisation draws all take it.
    device : torch.device
        Where the module and the batches live.
    history : History
        The model's training history (loss curves, step count, persistent ``state``).
    training : bool
        True for training steps; False for validation and other evaluations (no corruption,
        no dropout).
    epoch : int
        Index of the current epoch over the model's life (0 for the first epoch of a new
        model; a warm start continues counting).
    max_iter : int
        Number of epochs this fit call may run.
    fitted : dict
        Results of this call for its caller (an estimator sets them as fitted attributes when
        the call succeeds), e.g. sub-models fitted while the module was built.
    train, validation : BatchSource or None
        The data this call trains on and validates on (set by :func:`fit_loop`), for hooks
        that need a pass over them, such as a closed-form update between epochs.
    shard : skae.utils._distributed.Shard or None
        This process's place in a data-parallel fit on ``torch.distributed`` (None: a fit in
        one process). Every process holds the same ``train`` and trains on its part of each
        minibatch; ``generator`` then differs between processes (noise for different rows)
        while ``shuffle_generator`` is the same on all of them.
    shuffle_generator : torch.Generator or None
        The generator of the minibatch shuffle; None means ``generator``.
    manual_gradients : bool
        True while a training step accepts gradients written by hand: the loss function may
        then set the ``.grad`` of every trainable parameter itself (backpropagation without
        autograd's graph), return the loss without a graph and set ``gradients_written``.
        The engine sets it for the minibatch steps of a one-process fit; it stays False where
        autograd is needed (data-parallel fits reduce gradients from autograd's hooks;
        closure-based optimizers; evaluation).
    gradients_written : bool
        Set by a loss function that wrote the gradients itself (reset before every step).
    epoch_cache : dict
        Emptied before every epoch: for what a loss function can work out once per epoch
        instead of at every step (it is shared with the evaluation copy of the context).
    """

    generator: torch.Generator | None
    device: torch.device
    history: History
    training: bool = True
    epoch: int = 0
    max_iter: int = 1
    fitted: dict = field(default_factory=dict)
    train: "BatchSource | None" = None
    validation: "BatchSource | None" = None
    shard: "Shard | None" = None
    shuffle_generator: torch.Generator | None = None
    manual_gradients: bool = False
    gradients_written: bool = False
    epoch_cache: dict = field(default_factory=dict)

    @property
    def step(self):
        """Optimizer steps taken since the model was started, before the current one."""
        return self.history.n_steps

    @property
    def state(self):
        """The model's persistent training state (``history.state``)."""
        return self.history.state

    @property
    def shuffler(self):
        """The generator that shuffles minibatches (the same on every process of a
        data-parallel fit)."""
        return self.generator if self.shuffle_generator is None else self.shuffle_generator

    def evaluation(self):
        """A copy of this context for evaluation (``training=False``)."""
        return replace(self, training=False, manual_gradients=False)


class Hooks:
    """Extension points of :func:`fit_loop` beyond the loss; override what you need.

    Every method gets the module and the :class:`StepContext`. ``on_epoch_begin`` runs before
    an epoch's first step (annealing schedules, closed-form updates of parameters that are not
    trained by the optimizer); ``on_epoch_end`` after the epoch's losses are recorded, and
    returns True to stop training there; ``loss_comparable`` says whether this epoch's
    training objective is the final one (see :func:`fit_loop`).
    """

    def on_epoch_begin(self, module, ctx):
        """Called before the first step of each epoch."""

    def on_epoch_end(self, module, ctx, logs):
        """Called after each complete epoch with its ``logs`` (dict); True stops training."""
        return False

    def loss_comparable(self, ctx):
        """Whether this epoch's training loss can be compared with earlier ones."""
        return True


def _clone(obj):
    """Deep copy of the tensors of a (nested) state dict, detached."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone(v) for v in obj]
    return obj


def as_optimizers(optimizer):
    """A list of optimizers from one optimizer or a sequence of them."""
    return list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]


def snapshot(module, optimizers):
    """Copies of the module's and the optimizers' states, for :func:`restore` into the same
    module and optimizers.

    Taken before every epoch, so it copies the tensors directly: going through
    ``state_dict()`` cost about as much as an epoch of a small network.
    """
    tensors = [(t, t.detach().clone()) for t in (*module.parameters(), *module.buffers())]
    states = [({p: _clone(s) for p, s in opt.state.items()},
               [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])
              for opt in optimizers]
    return tensors, states


def restore(module, optimizers, saved):
    """Put back what :func:`snapshot` saved (the saved copies become the live state)."""
    tensors, states = saved
    with torch.no_grad():
        for tensor, copy in tensors:
            tensor.copy_(copy)
    for opt, (state, groups) in zip(optimizers, states):
        opt.state.clear()
        opt.state.update(state)
        for group, saved_group in zip(opt.param_groups, groups):
            group.update(saved_group)


class _ShardLoss(nn.Module):
    """``loss_fn`` as a module's ``forward``, so that ``DistributedDataParallel`` sees every
    parameter the loss uses (estimators' losses call encoders, decoders and other parts of
    their modules, not only ``forward``).

    ``forward(batch, ctx, weight)`` returns ``weight`` times the loss of this process's part of
    a minibatch. With ``weight = world_size * part_rows / minibatch_rows`` the average that
    DDP takes of the processes' gradients is exactly the gradient of the mean loss over the
    whole minibatch, also when the parts differ in size. A process whose part is empty (a last
    minibatch with fewer rows than processes) contributes zero gradients but still takes part
    in the reduction.
    """

    def __init__(self, module, loss_fn, unused=()):
        super().__init__()
        self.module = module
        self.loss_fn = loss_fn
        self.unused = list(unused)

    def forward(self, batch, ctx, weight):
        if batch[0].shape[0] == 0:
            return sum(p.sum() for p in self.module.parameters() if p.requires_grad) * 0.0
        loss = self.loss_fn(self.module, batch, ctx) * weight
        if self.unused:
            # Parameters the loss leaves out (a classifier's decoder when its reconstruction
            # weight is 0) get zero gradients, so DDP's reduction does not wait for them.
            loss = loss + sum(p.sum() for p in self.unused) * 0.0
        return loss


def _unused_parameters(module, loss_fn, source, ctx):
    """The trainable parameters of ``module`` that ``loss_fn`` gives no gradient, found with
    one forward and backward pass on the first rows (the same rows on every process), without
    changing the module's gradients or the fit's generators."""
    params = [p for p in module.parameters() if p.requires_grad]
    saved = [p.grad for p in params]
    for p in params:
        p.grad = None
    probe = replace(ctx, generator=torch.Generator().manual_seed(0), shuffle_generator=None,
                    shard=None)
    try:
        loss_fn(module, source.take(slice(0, min(len(source), 8))), probe).backward()
        return [p for p in params if p.grad is None]
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def _data_parallel(module, loss_fn, source, ctx):
    """The ``DistributedDataParallel`` wrapper of one fit call (None outside one)."""
    if ctx.shard is None or not any(p.requires_grad for p in module.parameters()):
        return None
    unused = _unused_parameters(module, loss_fn, source, ctx)
    # Constructing it broadcasts rank 0's weights and buffers: every process starts the same.
    # No device_ids: the batches are already on the process's device, and DDP would
    # otherwise copy the arguments of forward (the StepContext among them).
    return DistributedDataParallel(_ShardLoss(module, loss_fn, unused))


def _run_epoch(module, optimizers, loss_fn, source, batch_size, ctx, parallel=None):
    module.train()
    shard = ctx.shard
    total = None
    ctx.manual_gradients = parallel is None
    try:
        for batch, n_batch in _iter_batches(source, batch_size, ctx.shuffler, shard):
            loss = _step(module, optimizers, loss_fn, batch, n_batch, ctx, parallel)
            # Accumulate on the device: one host sync per epoch, not per step.
            weighted = loss.detach() * batch[0].shape[0]
            total = weighted if total is None else total + weighted
    finally:
        ctx.manual_gradients = ctx.gradients_written = False
    total = 0.0 if total is None else float(total)
    if shard is not None:
        total = shard.all_sum([total], ctx.device)[0]
    return total / len(source)


def _step(module, optimizers, loss_fn, batch, n_batch, ctx, parallel):
    """One optimizer step on a minibatch (this process's part of it in a data-parallel fit);
    returns the loss."""
    rows = batch[0].shape[0]
    shard = ctx.shard
    if parallel is None:
        ctx.gradients_written = False
        loss = loss_fn(module, batch, ctx)
        if not ctx.gradients_written:  # else the loss function replaced every gradient
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
    else:
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        weighted_loss = parallel(batch, ctx, shard.world_size * rows / n_batch)
        weighted_loss.backward()
        loss = weighted_loss.detach() * (n_batch / (shard.world_size * rows or 1))
    for opt in optimizers:
        _optimizer_step(opt)
    ctx.history.n_steps += 1
    return loss


# torch's fused Adam kernel (what ``torch.optim.Adam(fused=True)`` runs); None where a torch
# release lacks it, and the public functional form is used instead.
_FUSED_ADAM_KERNEL = getattr(torch, "_fused_adam_", None)


def _optimizer_step(opt):
    """``opt.step()``; for the fused Adam of :func:`make_adam`, the same update through
    torch's functional ``adam`` without ``Optimizer.step``'s per-call bookkeeping (profiler
    range, hook dispatch, state lookup, grad-mode switch), which cost about as much as the
    whole update of a 64-32-64 network. Anything else (another optimizer, an option the
    shortcut does not pass, hooks, a first step that must create the state) goes through
    ``opt.step()``."""
    if (type(opt) is not torch.optim.Adam
            or getattr(opt, "_optimizer_step_pre_hooks", True)
            or getattr(opt, "_optimizer_step_post_hooks", True)
            or getattr(torch_optimizer, "_global_optimizer_pre_hooks", True)
            or getattr(torch_optimizer, "_global_optimizer_post_hooks", True)):
        return opt.step()
    updates = []
    for group in opt.param_groups:
        if (not group.get("fused") or group.get("amsgrad") or group.get("maximize")
                or group.get("capturable") or group.get("differentiable")
                or group.get("decoupled_weight_decay")
                or not isinstance(group["lr"], float)):
            return opt.step()
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = opt.state.get(p)
            if not state or p.grad.is_sparse or p.is_complex():
                return opt.step()
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        if params:
            if len({p.dtype for p in params}) > 1 or len({p.device for p in params}) > 1:
                return opt.step()
            updates.append((group, params, grads, exp_avgs, exp_avg_sqs, steps))
    with torch.no_grad():
        for group, params, grads, exp_avgs, exp_avg_sqs, steps in updates:
            beta1, beta2 = group["betas"]
            kwargs = dict(amsgrad=False, beta1=beta1, beta2=beta2, lr=group["lr"],
                          weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)
            if _FUSED_ADAM_KERNEL is not None and params[0].device.type == "cpu":
                # What the functional form runs on CPU tensors of one dtype, without its
                # dispatch (another ~20 us a step).
                torch._foreach_add_(steps, 1)
                _FUSED_ADAM_KERNEL(params, grads, exp_avgs, exp_avg_sqs, [], steps, **kwargs)
            else:
                adam_update(params, grads, exp_avgs, exp_avg_sqs, [], steps, fused=True,
                            **kwargs)


def _run_full_batch_epoch(module, optimizer, loss_fn, source, batch_size, ctx, parallel=None):
    """One ``optimizer.step(closure)`` of a closure-based optimizer (L-BFGS) on all the data.

    The closure evaluates the loss of the whole training set, accumulating the gradients of
    its minibatches (weighted by their share of the rows, so the objective is the same mean as
    in :func:`_run_epoch`) without holding more than one minibatch's activations. No shuffling:
    a line search needs the same deterministic function at every evaluation. Returns the
    training loss at the weights the step ends with (one extra forward pass, no backward).
    In a data-parallel fit each process evaluates its part of every minibatch and the line
    search sees the loss summed over the processes, so all of them take the same step.
    """
    module.train()
    n = len(source)
    shard = ctx.shard

    def closure():
        optimizer.zero_grad(set_to_none=False)
        total = 0.0
        for batch, _ in _iter_batches(source, batch_size, None, shard):
            rows = batch[0].shape[0]
            if parallel is None:
                loss = loss_fn(module, batch, ctx) * (rows / n)
                loss.backward()
            else:
                loss = parallel(batch, ctx, shard.world_size * rows / n)
                loss.backward()
                loss = loss / shard.world_size
            total = total + loss.detach()
        if shard is not None:
            total = torch.tensor(shard.all_sum([float(total)], ctx.device)[0],
                                 dtype=torch.float32)
        return total

    optimizer.step(closure)
    ctx.history.n_steps += 1
    with torch.no_grad():
        total = sum((loss_fn(module, batch, ctx) * batch[0].shape[0]
                     for batch, _ in _iter_batches(source, batch_size, None, shard)
                     if batch[0].shape[0]), 0.0)
    total = float(total)
    if shard is not None:
        total = shard.all_sum([total], ctx.device)[0]
    return total / n


@torch.no_grad()
def evaluate(module, loss_fn, source, batch_size=4096, ctx=None):
    """Mean of ``loss_fn`` over ``source`` in eval mode (no dropout, no corruption).

    In a data-parallel fit (``ctx.shard``) each process evaluates its part of the rows and the
    mean is taken over all of them, so every process gets the same value.
    """
    if ctx is None:
        ctx = StepContext(None, source.device, History())
    ctx = ctx.evaluation()
    module.eval()
    total = 0.0
    for batch in iter_batches(source, batch_size, shard=ctx.shard):
        if batch[0].shape[0]:
            total = total + loss_fn(module, batch, ctx) * batch[0].shape[0]
    total = float(total)
    if ctx.shard is not None:
        total = ctx.shard.all_sum([total], ctx.device)[0]
    return total / len(source)


def _flush_denormal_enabled():
    """Whether float32 results below the normal range currently flush to zero (torch has a
    setter, ``torch.set_flush_denormal``, but no getter)."""
    return float(torch.tensor([1e-38], dtype=torch.float32) / 1024.0) == 0.0


@contextmanager
def flush_denormal():
    """Flush subnormal float32 values to zero inside the block; restore the setting after.

    Late in training, activations, gradients or optimizer moments can drift below float32's
    normal range (about 1.2e-38); on CPUs that handle such subnormal numbers in microcode, a
    matmul that meets them runs up to 100x slower. Flushing them to zero changes a result by
    less than 1.2e-38 in absolute value, below what float32 rounding already loses next to
    any normal number. A no-op where the CPU has no such mode.
    """
    before = _flush_denormal_enabled()
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(before)


def _marks(history):
    """What an epoch changes in ``history``, for :func:`_rewind`."""
    val = history.validation_loss_curve
    return (len(history.loss_curve), None if val is None else len(val), history.best_loss,
            history.no_improvement_count, history.n_steps)


def _rewind(module, optimizers, history, saved):
    """Undo an epoch that did not complete: weights, optimizer states and ``history`` as they
    were at its start. Returns the best validation state of that time."""
    weights, marks, best_state = saved
    restore(module, optimizers, weights)
    del history.loss_curve[marks[0]:]
    if marks[1] is not None:
        del history.validation_loss_curve[marks[1]:]
    history.best_loss, history.no_improvement_count, history.n_steps = marks[2:]
    return best_state


def _set_lr(optimizers, lr):
    """Set the step size of every parameter group to ``lr`` times its ``lr_scale`` (1 if
    absent), so groups keep their relative step sizes under a schedule."""
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)


def _base_lr(optimizers):
    group = optimizers[0].param_groups[0]
    return group["lr"] / group.get("lr_scale", 1.0)


def fit_loop(module, optimizer, loss_fn, source, *, history, max_iter, batch_size,
             generator=None, ctx=None, hooks=None, validation=None, tol=1e-4,
             n_iter_no_change=10, learning_rate=None, schedule="constant", verbose=False,
             desc=None):
    """Train ``module`` for at most ``max_iter`` epochs; return why training ended.

    The return value is ``"converged"`` (the convergence rule below), ``"max_iter"`` (the
    epoch budget ran out), ``"stopped"`` (``hooks.on_epoch_end`` asked to stop) or
    ``"interrupted"`` (Ctrl-C).

    ``loss_fn(module, batch, ctx)`` returns the scalar minimised on a minibatch; ``ctx`` is the
    :class:`StepContext` of this call (built from ``generator`` when not given), with
    ``ctx.training`` False during validation. ``optimizer`` is one optimizer or a list of them
    (each steps on every minibatch). ``hooks`` (a :class:`Hooks`) is called around epochs.

    Convergence follows scikit-learn's MLP: the monitored loss (validation loss when a
    ``validation`` source is given, else the training loss) failed to improve by ``tol`` for
    ``n_iter_no_change`` consecutive epochs. With validation the best weights are restored.

    ``learning_rate`` (when not None) is the optimizer's step size at the start of this call;
    None keeps the step size the optimizer has (an adaptive rate carried over by
    ``partial_fit``). ``schedule`` then changes it between epochs:

    - ``"constant"``: unchanged.
    - ``"adaptive"``: scikit-learn MLP's rule. Instead of stopping on a plateau the step size
      is divided by 5 and the no-improvement count reset; training converges only when the
      step size is already below 1e-6.
    - ``"cosine"``: ``learning_rate * (1 + cos(pi * t / max_iter)) / 2`` in epoch ``t = 0 ..
      max_iter - 1`` of this call, cosine annealing without restarts (Loshchilov & Hutter,
      "SGDR", ICLR 2017). A further call (warm start) restarts it: SGDR's warm restart.

    ``hooks.loss_comparable(ctx)`` is asked before each epoch whether the objective of that
    epoch is the final one. When it is not (an objective that changes by design, such as a KL
    weight being annealed) the epoch's training loss is not checked for a plateau: the
    no-improvement count stays at 0 and ``best_loss`` follows the latest loss. A validation
    loss is always checked (the estimator computes it at a fixed objective).

    With a closure-based optimizer (``torch.optim.LBFGS``, see :func:`make_lbfgs`) an epoch
    is one full-batch ``step`` (:func:`_run_full_batch_epoch`) and the step size and schedule
    are left alone (its line search chooses the step); otherwise one pass of minibatch steps
    over shuffled data.

    A non-finite training loss restores the weights and optimizer states of the epoch's start
    and raises :class:`NonFiniteLossError`. A ``KeyboardInterrupt`` (Ctrl-C) during an epoch
    restores the same and ends training with a warning: the module, ``history.loss_curve`` and
    the step count then agree on the last complete epoch. Before any epoch of this call
    completed, or in a nested fit, the interrupt is raised instead (see
    :mod:`skae.utils._interrupt`).

    Subnormal floats are flushed to zero while training (:func:`flush_denormal`), and the
    caller's setting is restored afterwards.
    """
    with flush_denormal():
        return _fit_loop(module, optimizer, loss_fn, source, history, max_iter, batch_size,
                         generator, ctx, hooks, validation, tol, n_iter_no_change,
                         learning_rate, schedule, verbose, desc)


def _fit_loop(module, optimizer, loss_fn, source, history, max_iter, batch_size, generator,
              ctx, hooks, validation, tol, n_iter_no_change, learning_rate, schedule, verbose,
              desc):
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    optimizers = as_optimizers(optimizer)
    hooks = Hooks() if hooks is None else hooks
    if ctx is None:
        ctx = StepContext(generator, source.device, history)
    ctx.max_iter, ctx.train, ctx.validation = max_iter, source, validation
    full_batch = isinstance(optimizers[0], torch.optim.LBFGS)
    parallel = _data_parallel(module, loss_fn, source, ctx)
    verbose = verbose and (ctx.shard is None or ctx.shard.rank == 0)
    if full_batch:
        if len(optimizers) > 1:
            raise ValueError("A closure-based optimizer (L-BFGS) must be the only optimizer.")
        learning_rate, schedule = None, "constant"
    if learning_rate is not None:
        _set_lr(optimizers, learning_rate)
    base_lr = _base_lr(optimizers)
    best_state, outcome = None, "max_iter"
    epochs = tqdm(range(max_iter), disable=not verbose, desc=desc, unit="epoch", leave=False)
    for epoch in epochs:
        ctx.epoch = len(history.loss_curve)
        ctx.epoch_cache = {}
        if schedule == "cosine":
            _set_lr(optimizers, base_lr * 0.5 * (1 + math.cos(math.pi * epoch / max_iter)))
        saved = snapshot(module, optimizers), _marks(history), best_state
        try:
            hooks.on_epoch_begin(module, ctx)
            comparable = validation is not None or hooks.loss_comparable(ctx)
            if full_batch:
                loss = _run_full_batch_epoch(module, optimizers[0], loss_fn, source,
                                             batch_size, ctx, parallel)
            else:
                loss = _run_epoch(module, optimizers, loss_fn, source, batch_size, ctx,
                                  parallel)
            if not math.isfinite(loss):
                raise NonFiniteLossError(
                    f"The training loss became {loss} at epoch {ctx.epoch + 1}; training "
                    "stopped and the weights of the last finite epoch were restored. Scale the "
                    "input (e.g. StandardScaler) or lower learning_rate_init."
                )
            history.loss_curve.append(loss)
            monitored = loss
            if validation is not None:
                monitored = evaluate(module, loss_fn, validation, ctx=ctx)
                history.validation_loss_curve.append(monitored)
            if not comparable:
                history.no_improvement_count, history.best_loss = 0, monitored
            elif monitored > history.best_loss - tol:
                history.no_improvement_count += 1
            else:
                history.no_improvement_count = 0
            if monitored < history.best_loss:
                history.best_loss = monitored
                if validation is not None:
                    best_state = _clone(module.state_dict())
            lr = optimizers[0].param_groups[0]["lr"]
            logs = {"epoch": ctx.epoch + 1, "loss": loss, "lr": lr}
            if validation is not None:
                logs["val_loss"] = monitored
            stop = hooks.on_epoch_end(module, ctx, logs)
            if ctx.shard is not None:
                # A callback on one process may stop; all must stop at the same epoch.
                stop = ctx.shard.any(stop, ctx.device)
        except NonFiniteLossError:
            _rewind(module, optimizers, history, saved)
            raise
        except KeyboardInterrupt:
            best_state = _rewind(module, optimizers, history, saved)
            # issue 26: before any complete epoch of this call (or in a nested fit, e.g.
            # greedy pre-training) there is nothing to keep: raise, the fit's transaction
            # puts the estimator back as it was.
            if interrupt_is_raised(epoch):
                raise
            warnings.warn(
                f"Training was interrupted during epoch {ctx.epoch + 1}; it ended with the "
                f"weights of the last complete epoch ({ctx.epoch}).",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
            outcome = "interrupted"
            break
        epochs.set_postfix({k: f"{v:.5g}" for k, v in logs.items()
                            if k != "epoch" and (k != "lr" or schedule != "constant")})
        if stop:
            outcome = "stopped"
            break
        if history.no_improvement_count >= n_iter_no_change:
            if schedule == "adaptive" and lr > _ADAPTIVE_MIN_LR:
                _set_lr(optimizers, lr / _ADAPTIVE_FACTOR)
                history.no_improvement_count = 0
                continue
            outcome = "converged"
            break
    epochs.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    return outcome
