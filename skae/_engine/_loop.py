"""The training loop: epochs of minibatch steps (or full-batch closure steps), validation,
early stopping with the best weights restored, schedules, and all-or-nothing epochs."""

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from skae._engine._context import History, Hooks, NonFiniteLossError, StepContext
from skae._engine._data import _iter_batches, iter_batches
from skae._engine._optim import (
    _ADAPTIVE_FACTOR,
    _ADAPTIVE_MIN_LR,
    SCHEDULES,
    _base_lr,
    _clone,
    _set_lr,
    as_optimizers,
    restore,
    snapshot,
)
from skae._engine._parallel import data_parallel
from skae.utils._interrupt import interrupt_is_raised
from skae.utils._stack import external_stacklevel
from skae.utils._threads import chosen_threads
from skae.utils._torch_compat import optimizer_step

__all__ = ["LoopConfig", "evaluate", "fit_loop", "flush_denormal", "step_work"]

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
        optimizer_step(opt)
    ctx.history.n_steps += 1
    return loss


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


def step_work(module, rows):
    """Multiply-adds of one forward pass of ``rows`` rows, counted as rows x parameters (exact
    for a stack of linear layers, the networks skae trains)."""
    return int(rows) * sum(p.numel() for p in module.parameters())


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



@dataclass(frozen=True)
class LoopConfig:
    """How the loop trains, fixed for one call of :func:`fit_loop` (see its docstring).

    Attributes
    ----------
    batch_size : int
        Rows per minibatch.
    tol, n_iter_no_change : float, int
        The convergence rule: the monitored loss failed to improve by ``tol`` for
        ``n_iter_no_change`` consecutive epochs.
    learning_rate : float or None
        The step size at the start of the call; None keeps the optimizer's.
    schedule : {"constant", "adaptive", "cosine"}
        How the step size changes between epochs.
    verbose : bool
        One progress bar over the epochs (on the first process of a data-parallel fit).
    desc : str or None
        The progress bar's label.
    """

    batch_size: int
    tol: float = 1e-4
    n_iter_no_change: int = 10
    learning_rate: float | None = None
    schedule: str = "constant"
    verbose: bool = False
    desc: str | None = None

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")


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

    Subnormal floats are flushed to zero while training (:func:`flush_denormal`), and torch's
    intra-op thread count is chosen for the work of one step (:func:`step_work`) unless the
    user set one (:func:`skae.utils._threads.chosen_threads`); the caller's settings are
    restored afterwards.
    """
    config = LoopConfig(batch_size, tol, n_iter_no_change, learning_rate, schedule,
                        bool(verbose), desc)
    if ctx is None:
        ctx = StepContext(generator, source.device, history)
    # The fit's set-up is fixed from here on: the data and the epoch budget are bound to a
    # new context, which the estimator's ``fitted`` results and the history are shared with.
    ctx = ctx.with_setup(max_iter=max_iter, train=source, validation=validation)
    with flush_denormal(), chosen_threads(step_work(module, batch_size)):
        return _fit_loop(module, as_optimizers(optimizer), loss_fn, ctx, config,
                         Hooks() if hooks is None else hooks)


def _fit_loop(module, optimizers, loss_fn, ctx, config, hooks):
    source, validation, history, max_iter = ctx.train, ctx.validation, ctx.history, ctx.max_iter
    learning_rate, schedule = config.learning_rate, config.schedule

    full_batch = isinstance(optimizers[0], torch.optim.LBFGS)
    parallel = data_parallel(module, loss_fn, source, ctx)
    verbose = config.verbose and (ctx.shard is None or ctx.shard.rank == 0)
    if full_batch:
        if len(optimizers) > 1:
            raise ValueError("A closure-based optimizer (L-BFGS) must be the only optimizer.")
        learning_rate, schedule = None, "constant"
    if learning_rate is not None:
        _set_lr(optimizers, learning_rate)
    base_lr = _base_lr(optimizers)
    best_state, outcome = None, "max_iter"
    epochs = tqdm(range(max_iter), disable=not verbose, desc=config.desc, unit="epoch", leave=False)
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
                                             config.batch_size, ctx, parallel)
            else:
                loss = _run_epoch(module, optimizers, loss_fn, source, config.batch_size, ctx,
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
            elif monitored > history.best_loss - config.tol:
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
            # Before any complete epoch of this call (or in a nested fit, e.g. greedy
            # pre-training) there is nothing to keep: raise, and the fit's transaction puts
            # the estimator back as it was.
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
        if history.no_improvement_count >= config.n_iter_no_change:
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
