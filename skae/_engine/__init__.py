"""The one training engine of skae, split by concern.

- :mod:`skae._engine._data`: data serving (:class:`BatchSource`, streamed rows, named
  minibatches, :func:`iter_batches`);
- :mod:`skae._engine._optim`: optimisation (Adam and L-BFGS, step-size schedules, snapshots
  that undo an epoch);
- :mod:`skae._engine._parallel`: data-parallel training on ``torch.distributed``;
- :mod:`skae._engine._context`: what the loop and the hooks share (:class:`FitSetup`,
  :class:`StepContext`, :class:`History`, :class:`Hooks`);
- :mod:`skae._engine._loop`: the loop itself (:func:`fit_loop`, :func:`evaluate`).

Every estimator in the package trains through :func:`fit_loop`: minibatches sliced from one
tensor (dense) or densified per batch (scipy.sparse), an optimizer step per batch, no host
synchronisation inside an epoch, early stopping on a monitored loss with the best weights
restored, and a non-finite loss that stops training with the last good weights in place.

The engine knows nothing of scikit-learn. The estimator hands in a ``loss_fn(module, batch,
ctx)`` that returns a scalar tensor, where ``ctx`` is the :class:`StepContext` of the fit call,
optionally :class:`Hooks` called around each epoch, and one optimizer or several; the model's
:class:`History` records what happened. The scikit-learn side is
:class:`skae._estimator.TorchEstimatorMixin`.
"""

from skae._engine._context import (
    FitSetup,
    History,
    Hooks,
    NonFiniteLossError,
    StepContext,
    resolve_device,
)
from skae._engine._data import (
    STREAM_ABOVE_BYTES,
    STREAM_WINDOW_BATCHES,
    BatchSource,
    StreamedRows,
    batch_type,
    column_sums,
    iter_batches,
)
from skae._engine._loop import LoopConfig, evaluate, fit_loop, flush_denormal, step_work
from skae._engine._optim import (
    SCHEDULES,
    as_optimizers,
    make_adam,
    make_lbfgs,
    restore,
    snapshot,
)

__all__ = [
    "SCHEDULES",
    "STREAM_ABOVE_BYTES",
    "STREAM_WINDOW_BATCHES",
    "BatchSource",
    "FitSetup",
    "History",
    "Hooks",
    "LoopConfig",
    "NonFiniteLossError",
    "StepContext",
    "StreamedRows",
    "as_optimizers",
    "batch_type",
    "column_sums",
    "evaluate",
    "fit_loop",
    "flush_denormal",
    "iter_batches",
    "make_adam",
    "make_lbfgs",
    "resolve_device",
    "restore",
    "snapshot",
    "step_work",
]
