"""The scikit-learn side of the training engine, shared by every torch-backed estimator.

:class:`TorchEstimatorMixin` turns the engine's parameters (``learning_rate_init``,
``batch_size``, ``max_iter``, early stopping, ``random_state``, ``device``...) into one call of
:func:`skae._engine.fit_loop`. An estimator only says which module to build
(``_build_module``) and what to minimise (``_loss``).
"""

import io
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from torch import nn

from skae._engine import (
    SCHEDULES,
    BatchSource,
    History,
    fit_loop,
    iter_batches,
    make_adam,
    resolve_device,
)
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = [
    "ENGINE_PARAMETER_CONSTRAINTS",
    "PREDICT_BATCH_SIZE",
    "TorchEstimatorMixin",
    "forked_rng",
]

# Rows per forward pass at prediction time: large enough to amortise per-call overhead,
# small enough to bound the memory of wide outputs.
PREDICT_BATCH_SIZE = 4096

ENGINE_PARAMETER_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "learning_rate": [StrOptions(set(SCHEDULES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "device": [str, torch.device],
    "verbose": ["verbose"],
}


@contextmanager
def forked_rng(device, seed):
    """Seed torch's global RNG for the duration of the block and restore it afterwards.

    ``nn.Module`` constructors and dropout draw from the global generator; forking it keeps
    training reproducible for a given seed without touching the caller's random state.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _hashable(value):
    """Parameter values as comparable tuples: ``[128]``, ``(128,)`` and an array compare equal."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in value)
    return value


class TorchEstimatorMixin:
    """Training, reproducibility, devices and pickling for estimators built on the engine.

    Subclasses implement:

    - ``_build_module(self, source, generator)`` -> ``nn.Module`` for the training data
      ``source`` (a :class:`skae._engine.BatchSource`);
    - ``_loss(self, module, batch, training)`` -> scalar tensor, the quantity minimised, with
      ``training=False`` for validation (no corruption, no dropout);
    - optionally ``_validation_split(self, source, rng)`` -> ``(train, validation)`` sources,
      and ``_make_optimizer(self)`` -> the optimizer of ``self.module_`` (default: Adam).

    While the engine trains, ``self._train_generator`` is the ``torch.Generator`` of this fit
    call (the one that also shuffles): noise drawn in ``_loss`` (denoising corruption,
    reparameterisation) takes it, so it is reproducible from ``random_state`` without any
    global seeding. The attribute exists only during training.
    """

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return max(1, min(200, n_samples))
        # A batch larger than the data is simply the whole data (full-batch training).
        return max(1, min(self.batch_size, n_samples))

    def _validation_split(self, source, rng):
        n = len(source)
        n_val = int(round(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping with validation_fraction={self.validation_fraction} leaves an "
                f"empty training or validation set for n_samples={n}; use more samples, another "
                "validation_fraction, or early_stopping=False."
            )
        perm = rng.permutation(n)
        return source.subset(np.sort(perm[n_val:])), source.subset(np.sort(perm[:n_val]))

    def _make_optimizer(self):
        """The optimizer of ``self.module_``: Adam with ``alpha`` as weight decay. Override to
        use another (a ``torch.optim.LBFGS`` makes every epoch one full-batch step)."""
        return make_adam(self.module_, self.learning_rate_init, self.alpha)

    def _loss_comparable(self):
        """Whether training losses of different epochs can be compared for the convergence
        check. Override for objectives that change during training (e.g. KL annealing)."""
        return True

    #: Parameters that fix the network (its shape, its function) or what is built with it
    #: (the optimizer's kind, the device). A warm start or ``partial_fit`` continues the built
    #: network, so a changed value could not take effect: it is an error, not ignored.
    _structural_params = ("device",)

    def _structure(self):
        return {name: _hashable(getattr(self, name)) for name in self._structural_params}

    def _is_warm(self, incremental):
        warm = hasattr(self, "module_") and (incremental or self.warm_start)
        built = getattr(self, "_built_structure", None)
        if warm and built is not None:
            changed = [f"{name}={built.get(name)!r} -> {value!r}"
                       for name, value in self._structure().items() if built.get(name) != value]
            if changed:
                how = "partial_fit" if incremental else "fit with warm_start=True"
                raise ValueError(
                    f"{type(self).__name__}: {', '.join(changed)} changed since the network was "
                    f"built; {how} continues that network, so these parameters cannot change. "
                    "Set them back, or fit a new model (warm_start=False)."
                )
        return warm

    def _engine_fit(self, arrays, *, incremental=False):
        """Train on the aligned ``arrays`` (already validated); start afresh unless warm."""
        warm = self._is_warm(incremental)
        if not warm:
            self._random_state = check_random_state(self.random_state)
            self.device_ = resolve_device(self.device)
        seed = int(self._random_state.randint(np.iinfo(np.int32).max))
        source = BatchSource(arrays, self.device_)
        with forked_rng(self.device_, seed):
            generator = torch.Generator().manual_seed(seed)
            train, validation = source, None
            if self.early_stopping and not incremental:
                train, validation = self._validation_split(source, np.random.default_rng(seed))
            if not warm:
                # Built from the training part only: data-dependent start values (input means,
                # output biases) must not see the held-out validation data.
                self.module_ = self._build_module(train, generator).to(self.device_)
                self._built_structure = self._structure()
                self._optimizer = self._make_optimizer()
                self._history = History()
            if validation is not None and self._history.validation_loss_curve is None:
                self._history.validation_loss_curve = []
            self._train_generator = generator
            try:
                converged = fit_loop(
                    self.module_, self._optimizer, self._loss, train,
                    history=self._history,
                    max_iter=1 if incremental else self.max_iter,
                    batch_size=self._batch_size(len(train)),
                    generator=generator,
                    validation=validation,
                    tol=self.tol,
                    n_iter_no_change=self.n_iter_no_change,
                    # partial_fit carries an adaptive step size over; everything else starts
                    # from learning_rate_init (as scikit-learn's MLP does).
                    learning_rate=(None if incremental and self.learning_rate == "adaptive"
                                   else self.learning_rate_init),
                    schedule=self.learning_rate,
                    loss_comparable=self._loss_comparable,
                    verbose=self.verbose,
                    desc=type(self).__name__,
                )
            finally:
                del self._train_generator
                self._sync_history()
        if not converged and not incremental:
            warnings.warn(
                f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _predict_batches(self, X, fn, width=0):
        """Apply ``fn(module, x)`` to the rows of ``X`` in large batches, in eval mode and
        without gradients; returns float32 numpy (``width`` columns when ``X`` is empty)."""
        module = self.module_
        module.eval()
        out = []
        with torch.no_grad():
            for (xb,) in iter_batches(BatchSource((X,), self.device_), PREDICT_BATCH_SIZE):
                out.append(fn(module, xb).cpu().numpy())
        if not out:
            return np.empty((0, width), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)

    def _sync_history(self):
        history = self._history
        self.loss_curve_ = list(history.loss_curve)
        self.validation_loss_curve_ = (
            None if history.validation_loss_curve is None else list(history.validation_loss_curve)
        )
        self.best_loss_ = history.best_loss
        self.n_iter_ = len(history.loss_curve)

    # -- pickling: torch objects travel through torch.save so that a model trained on a GPU
    #    unpickles on a machine without one (as skorch does).
    def __getstate__(self):
        # object.__getstate__ may hand back the live __dict__: copy before popping from it.
        state = dict(super().__getstate__())
        torch_keys = [k for k, v in state.items()
                      if isinstance(v, (nn.Module, torch.optim.Optimizer, torch.Tensor))]
        if torch_keys:
            buffer = io.BytesIO()
            torch.save({k: state.pop(k) for k in torch_keys}, buffer)
            state["_torch_payload"] = buffer.getvalue()
        return state

    def __setstate__(self, state):
        payload = state.pop("_torch_payload", None)
        if payload is not None:
            on_cpu = not torch.cuda.is_available()
            objs = torch.load(io.BytesIO(payload), map_location="cpu" if on_cpu else None,
                              weights_only=False)
            state.update(objs)
            if on_cpu and "device_" in state:
                state["device_"] = torch.device("cpu")
        super().__setstate__(state)
