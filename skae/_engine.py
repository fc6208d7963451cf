"""The one training loop of skae.

Every estimator in the package trains through :func:`fit_loop`: minibatches sliced from one
tensor (dense) or densified per batch (scipy.sparse), an optimizer step per batch, no host
synchronisation inside an epoch, early stopping on a monitored loss with the best weights
restored, and a non-finite loss that stops training with the last good weights in place.

The module knows nothing of scikit-learn; the estimator hands in a ``loss_fn(module, batch,
training)`` that returns a scalar tensor, and gets back a :class:`History`.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

__all__ = [
    "BatchSource",
    "History",
    "NonFiniteLossError",
    "evaluate",
    "fit_loop",
    "iter_batches",
    "make_adam",
    "make_lbfgs",
    "resolve_device",
    "SCHEDULES",
]

# Learning-rate schedules of :func:`fit_loop` (the ``learning_rate`` parameter of estimators).
SCHEDULES = ("constant", "adaptive", "cosine")

# "adaptive" divides the step size by this factor on a plateau and stops below _ADAPTIVE_MIN_LR,
# as scikit-learn's MLP does with ``learning_rate="adaptive"``.
_ADAPTIVE_FACTOR = 5.0
_ADAPTIVE_MIN_LR = 1e-6


# Dense data up to this size is permuted as a whole once per epoch (see iter_batches).
_PERMUTE_ONCE_BYTES = 16 * 2**20


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


class BatchSource:
    """Aligned arrays whose rows are served as tensors on ``device``.

    Dense arrays are copied once into a tensor on the device (float32, or int64 for integer
    arrays); scipy.sparse matrices stay sparse (CSR) and only the rows of one minibatch are
    densified, so the whole matrix never is.
    """

    def __init__(self, arrays, device):
        self.device = torch.device(device)
        self.arrays = [self._prepare(a) for a in arrays]
        lengths = {a.shape[0] for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"Arrays have different numbers of rows: {sorted(lengths)}.")
        self.n_samples = lengths.pop()

    def _prepare(self, a):
        if sp.issparse(a):
            return sp.csr_matrix(a, dtype=np.float32)
        a = np.asarray(a)
        dtype = np.int64 if np.issubdtype(a.dtype, np.integer) else np.float32
        if a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable:
            # Share the caller's memory (nothing here writes to it): no second copy of X.
            return torch.from_numpy(a).to(self.device)
        # Otherwise copy, so a read-only array (e.g. a memmap) is never handed to torch as is.
        return torch.tensor(np.asarray(a, dtype=dtype), device=self.device)

    def __len__(self):
        return self.n_samples

    def take(self, idx):
        """Rows ``idx`` (a 1-D CPU index tensor or a slice) of every array, as device tensors."""
        out = []
        for a in self.arrays:
            if isinstance(a, torch.Tensor):
                out.append(_rows(a, idx.to(self.device)) if isinstance(idx, torch.Tensor)
                           else a[idx])
            else:
                rows = a[idx.numpy() if isinstance(idx, torch.Tensor) else idx].toarray()
                out.append(torch.from_numpy(rows).to(self.device))
        return tuple(out)

    @property
    def nbytes(self):
        return sum(a.element_size() * a.nelement() if isinstance(a, torch.Tensor)
                   else a.data.nbytes for a in self.arrays)

    @property
    def is_dense(self):
        return all(isinstance(a, torch.Tensor) for a in self.arrays)

    def permuted(self, perm):
        """A dense source whose rows are this one's in the order ``perm``."""
        new = object.__new__(BatchSource)
        new.device, new.n_samples = self.device, self.n_samples
        new.arrays = [_rows(a, perm.to(self.device)) for a in self.arrays]
        return new

    def subset(self, idx):
        """A new source holding rows ``idx`` (numpy indices), e.g. a validation split."""
        new = object.__new__(BatchSource)
        new.device = self.device
        t_idx = torch.as_tensor(idx, dtype=torch.int64)
        new.arrays = [_rows(a, t_idx.to(self.device)) if isinstance(a, torch.Tensor) else a[idx]
                      for a in self.arrays]
        new.n_samples = len(idx)
        return new


def iter_batches(source, batch_size, generator=None):
    """Yield minibatches of ``source``; shuffled with ``generator`` when one is given.

    Small dense data is permuted with one gather per epoch and then served as contiguous
    slices: measured here, eight small gathers per epoch cost more than one large one. Larger
    data is gathered batch by batch, so no second copy of it is ever held.
    """
    n = len(source)
    perm = None if generator is None else torch.randperm(n, generator=generator)
    if perm is not None and source.is_dense and source.nbytes <= _PERMUTE_ONCE_BYTES:
        source, perm = source.permuted(perm), None
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield source.take(slice(start, stop) if perm is None else perm[start:stop])


def make_adam(module, learning_rate, alpha=0.0):
    """Adam with L2 weight decay ``alpha`` on weight matrices only (biases are not shrunk).

    Uses the fused implementation where the device supports it: measured here it cuts the
    per-step overhead that dominates small networks (``shared/PERF.md``).
    """
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
    """What an estimator remembers of its training across ``fit``/``partial_fit`` calls."""

    loss_curve: list = field(default_factory=list)
    validation_loss_curve: list | None = None
    best_loss: float = math.inf
    no_improvement_count: int = 0


def _clone(obj):
    """Deep copy of the tensors of a (nested) state dict, detached."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone(v) for v in obj]
    return obj


def _run_epoch(module, optimizer, loss_fn, source, batch_size, generator):
    module.train()
    total = None
    for batch in iter_batches(source, batch_size, generator):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(module, batch, True)
        loss.backward()
        optimizer.step()
        # Accumulate on the device: one host sync per epoch, not per step.
        weighted = loss.detach() * batch[0].shape[0]
        total = weighted if total is None else total + weighted
    return float(total) / len(source)


def _run_full_batch_epoch(module, optimizer, loss_fn, source, batch_size):
    """One ``optimizer.step(closure)`` of a closure-based optimizer (L-BFGS) on all the data.

    The closure evaluates the loss of the whole training set, accumulating the gradients of
    its minibatches (weighted by their share of the rows, so the objective is the same mean as
    in :func:`_run_epoch`) without holding more than one minibatch's activations. No shuffling:
    a line search needs the same deterministic function at every evaluation. Returns the
    training loss at the weights the step ends with (one extra forward pass, no backward).
    """
    module.train()
    n = len(source)

    def closure():
        optimizer.zero_grad(set_to_none=False)
        total = 0.0
        for batch in iter_batches(source, batch_size):
            loss = loss_fn(module, batch, True) * (batch[0].shape[0] / n)
            loss.backward()
            total = total + loss.detach()
        return total

    optimizer.step(closure)
    with torch.no_grad():
        total = sum(loss_fn(module, batch, True) * batch[0].shape[0]
                    for batch in iter_batches(source, batch_size))
    return float(total) / n


@torch.no_grad()
def evaluate(module, loss_fn, source, batch_size=4096):
    """Mean of ``loss_fn`` over ``source`` in eval mode (no dropout, no corruption)."""
    module.eval()
    total = 0.0
    for batch in iter_batches(source, batch_size):
        total = total + loss_fn(module, batch, False) * batch[0].shape[0]
    return float(total) / len(source)


def _set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def fit_loop(module, optimizer, loss_fn, source, *, history, max_iter, batch_size,
             generator=None, validation=None, tol=1e-4, n_iter_no_change=10,
             learning_rate=None, schedule="constant", loss_comparable=None, verbose=False,
             desc=None):
    """Train ``module`` for at most ``max_iter`` epochs; return True if it converged.

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

    ``loss_comparable`` (a callable, or None for always) is asked before each epoch whether
    the objective of that epoch is the final one. When it is not (an objective that changes by
    design, such as a KL weight being annealed) the epoch's training loss is not checked for
    a plateau: the no-improvement count stays at 0 and ``best_loss`` follows the latest loss.
    A validation loss is always checked (the estimator computes it at a fixed objective).

    With a closure-based optimizer (``torch.optim.LBFGS``, see :func:`make_lbfgs`) an epoch
    is one full-batch ``step`` (:func:`_run_full_batch_epoch`) and the step size and schedule
    are left alone (its line search chooses the step); otherwise one pass of minibatch steps
    over shuffled data.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    full_batch = isinstance(optimizer, torch.optim.LBFGS)
    if full_batch:
        learning_rate, schedule = None, "constant"
    if learning_rate is not None:
        _set_lr(optimizer, learning_rate)
    base_lr = optimizer.param_groups[0]["lr"]
    best_state, converged = None, False
    epochs = tqdm(range(max_iter), disable=not verbose, desc=desc, unit="epoch", leave=False)
    for epoch in epochs:
        comparable = validation is not None or loss_comparable is None or loss_comparable()
        if schedule == "cosine":
            _set_lr(optimizer, base_lr * 0.5 * (1 + math.cos(math.pi * epoch / max_iter)))
        snapshot = (_clone(module.state_dict()), _clone(optimizer.state_dict()))
        if full_batch:
            loss = _run_full_batch_epoch(module, optimizer, loss_fn, source, batch_size)
        else:
            loss = _run_epoch(module, optimizer, loss_fn, source, batch_size, generator)
        if not math.isfinite(loss):
            module.load_state_dict(snapshot[0])
            optimizer.load_state_dict(snapshot[1])
            raise NonFiniteLossError(
                f"The training loss became {loss} at epoch {len(history.loss_curve) + 1}; "
                "training stopped and the weights of the last finite epoch were kept. Scale the "
                "input (e.g. StandardScaler) or lower learning_rate_init."
            )
        history.loss_curve.append(loss)
        monitored = loss
        if validation is not None:
            monitored = evaluate(module, loss_fn, validation)
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
        postfix = {"loss": f"{loss:.5g}"}
        if schedule != "constant":
            postfix["lr"] = f"{optimizer.param_groups[0]['lr']:.3g}"
        if validation is not None:
            postfix["val_loss"] = f"{monitored:.5g}"
        epochs.set_postfix(postfix)
        if history.no_improvement_count >= n_iter_no_change:
            lr = optimizer.param_groups[0]["lr"]
            if schedule == "adaptive" and lr > _ADAPTIVE_MIN_LR:
                _set_lr(optimizer, lr / _ADAPTIVE_FACTOR)
                history.no_improvement_count = 0
                continue
            converged = True
            break
    epochs.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    return converged
