"""What an estimator declares to the engine: its training configuration and its training data.

An estimator on the engine (:class:`skae._estimator.TorchEstimatorMixin`) does not have its
parameters read by name. It declares

- a :class:`TrainingConfig`, built from its parameters by ``_training_config()`` (by default
  :meth:`TrainingConfig.from_params` of ``get_params()``): the fields it has no parameter for
  keep their defaults, so an estimator without early stopping simply has none;
- a :class:`TrainingData`, returned by its ``_training_data(X, y, warm=..., incremental=...,
  **fit_params)`` hook: the validated arrays the engine serves, by name, so that every
  minibatch is a named tuple (``batch.x``, ``batch.labels``...).

The mixin's one template (``_train``) runs the rest: the transaction, the random state, the
device, the optimizer, the callbacks and the loop.
"""

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["TrainingConfig", "TrainingData"]


@dataclass(frozen=True)
class TrainingConfig:
    """How an estimator trains on the engine: one immutable record per fit call.

    Built from an estimator's parameters of the same names (:meth:`from_params`); the
    defaults are those of an estimator that lacks the parameter (no early stopping, no warm
    start, no penalty, silent).

    Attributes
    ----------
    max_iter : int
        Epochs of a :meth:`fit` call.
    learning_rate_init : float
        The optimizer's step size at the start of a call.
    learning_rate : {"constant", "adaptive", "cosine"}
        The step-size schedule over the epochs of a call.
    batch_size : int or "auto"
        Rows per minibatch; ``"auto"`` is ``min(200, n_samples)``.
    alpha : float
        L2 penalty on the weight matrices (Adam's coupled weight decay): ``alpha / 2 *
        ||W||^2`` added to the mean loss of a minibatch.
    tol, n_iter_no_change : float, int
        The convergence rule.
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data and monitor its loss.
    validation_fraction : float
        The held-out share when ``early_stopping``.
    warm_start : bool
        Continue the fitted network in :meth:`fit`.
    random_state : None, int or RandomState
        The seed of the call's generators.
    device : str or torch.device
        Where to train.
    verbose : int
        1: one progress bar over the epochs; 0: silent.
    planned_epochs : bool
        Whether running all ``max_iter`` epochs is the plan rather than a failure to
        converge: then reaching ``max_iter`` raises no ``ConvergenceWarning``. True under the
        cosine schedule (its step size reaches 0 at the last epoch) and for an estimator whose
        ``max_iter`` is a training budget by design (an outlier detector stopped before it
        learns to reconstruct the outliers).
    """

    max_iter: int = 200
    learning_rate_init: float = 1e-3
    learning_rate: str = "constant"
    batch_size: Any = "auto"
    alpha: float = 0.0
    tol: float = 1e-4
    n_iter_no_change: int = 10
    early_stopping: bool = False
    validation_fraction: float = 0.1
    warm_start: bool = False
    random_state: Any = None
    device: Any = "cpu"
    verbose: int = 0
    planned_epochs: bool = False

    def __post_init__(self):
        if self.learning_rate == "cosine" and not self.planned_epochs:
            object.__setattr__(self, "planned_epochs", True)

    @classmethod
    def from_params(cls, params):
        """The configuration from a dict of parameters: the keys that name a field."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in names})

    def batch_rows(self, n_samples):
        """Rows per minibatch for ``n_samples`` training rows (a batch larger than the data
        is the whole data: full-batch training)."""
        if self.batch_size == "auto":
            return max(1, min(200, n_samples))
        return max(1, min(self.batch_size, n_samples))

    def n_validation(self, n, what="samples"):
        """How many of ``n`` samples (or ratings...) early stopping holds out; an error when
        the training or the validation part would be empty."""
        n_val = int(round(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping with validation_fraction={self.validation_fraction} leaves "
                f"no training or no validation {what} out of {n}; use more {what}, another "
                "validation_fraction, or early_stopping=False."
            )
        return n_val


@dataclass(frozen=True)
class TrainingData:
    """The data of one fit call, as an estimator's ``_training_data`` hook returns it.

    Attributes
    ----------
    arrays : dict of str to array
        Aligned arrays (numpy, scipy.sparse CSR, memmap or tensor) with one row per training
        row, by name; the engine serves their rows as named minibatches in this order.
    X, y : object, default=None
        What the callbacks are told the training data are (default: the first array).
    extra : dict, default={}
        What the estimator's ``_training_data`` hands on to its ``_after_training`` (not
        served to the loop), so that nothing is stashed on the estimator during a fit.
    """

    arrays: dict
    X: Any = None
    y: Any = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.arrays, dict) or not self.arrays:
            raise TypeError("TrainingData.arrays must be a non-empty dict of named arrays.")
