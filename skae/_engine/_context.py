"""What the loop and an estimator's hooks share: the fit's fixed set-up, the per-step state,
the model's history, and the epoch hooks."""

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from skae._engine._data import BatchSource
    from skae.utils._distributed import Shard

__all__ = ["FitSetup", "History", "Hooks", "NonFiniteLossError", "StepContext",
           "resolve_device"]

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


@dataclass(frozen=True)
class FitSetup:
    """What one fit call trains with, fixed before its first step (immutable).

    Attributes
    ----------
    generator : torch.Generator or None
        The generator of this fit call (seeded from ``random_state``): corruption noise,
        dropout masks and reparameterisation draws take it (and the shuffle, unless
        ``shuffle_generator`` is set). In a data-parallel fit it differs between processes.
    device : torch.device
        Where the module and the batches live.
    max_iter : int
        Number of epochs this fit call may run.
    train, validation : BatchSource or None
        The data this call trains on and validates on (bound by the loop), for hooks that
        need a pass over them, such as a closed-form update between epochs.
    shard : skae.utils._distributed.Shard or None
        This process's place in a data-parallel fit on ``torch.distributed`` (None: a fit in
        one process). Every process holds the same ``train`` and trains on its part of each
        minibatch.
    shuffle_generator : torch.Generator or None
        The generator of the minibatch shuffle, the same on every process of a data-parallel
        fit; None means ``generator``.
    """

    generator: torch.Generator | None
    device: torch.device
    max_iter: int = 1
    train: "BatchSource | None" = None
    validation: "BatchSource | None" = None
    shard: "Shard | None" = None
    shuffle_generator: torch.Generator | None = None


class StepContext:
    """Everything a training step may need besides the module and the batch, passed explicitly.

    The engine hands one context to every hook of a fit call (``loss_fn``, the epoch hooks of
    :class:`Hooks`, an estimator's ``_build_module``), so nothing needs to be stashed on an
    estimator while it trains. It holds three kinds of things, kept apart:

    - the fit's set-up, :attr:`setup` (a frozen :class:`FitSetup`: generators, device, data,
      epoch budget, data-parallel shard), read through the properties of the same names;
      the loop binds the data with :meth:`with_setup`, which returns a new context;
    - the model's :class:`History` (``history``, ``step``, ``state``), which outlives the
      call;
    - the per-step state that the loop updates as it goes: ``training``, ``epoch``,
      ``epoch_cache``, ``manual_gradients`` and ``gradients_written``; and ``fitted``, the
      results of the call.

    Parameters
    ----------
    generator, device : see :class:`FitSetup`
    history : History
        The model's training history (loss curves, step count, persistent ``state``).
    training : bool, default=True
        True for training steps; False for validation and other evaluations (no corruption,
        no dropout).
    epoch : int, default=0
        Index of the current epoch over the model's life (0 for the first epoch of a new
        model; a warm start continues counting).
    **setup
        Further fields of :class:`FitSetup` (``max_iter``, ``train``, ``validation``,
        ``shard``, ``shuffle_generator``).

    Attributes
    ----------
    setup : FitSetup
        The fit's fixed set-up.
    history : History
        As passed.
    training : bool
        As passed; the loop's evaluation copy (:meth:`evaluation`) has False.
    epoch : int
        Set by the loop before every epoch.
    fitted : dict
        Results of this call for its caller (an estimator sets them as fitted attributes when
        the call succeeds), e.g. sub-models fitted while the module was built.
    epoch_cache : dict
        Emptied before every epoch: for what a loss function can work out once per epoch
        instead of at every step (shared with the evaluation copy of the context).
    manual_gradients : bool
        True while a training step accepts gradients written by hand: the loss function may
        then set the ``.grad`` of every trainable parameter itself (backpropagation without
        autograd's graph), return the loss without a graph and set ``gradients_written``.
        The engine sets it for the minibatch steps of a one-process fit; it stays False where
        autograd is needed (data-parallel fits reduce gradients from autograd's hooks;
        closure-based optimizers; evaluation).
    gradients_written : bool
        Set by a loss function that wrote the gradients itself (reset before every step).
    """

    def __init__(self, generator, device, history, *, training=True, epoch=0, **setup):
        self.setup = FitSetup(generator, device, **setup)
        self.history = history
        self.training = training
        self.epoch = epoch
        self.fitted = {}
        self.epoch_cache = {}
        self.manual_gradients = False
        self.gradients_written = False

    def __repr__(self):
        return (f"StepContext(setup={self.setup!r}, training={self.training}, "
                f"epoch={self.epoch}, step={self.step})")

    # The fit's set-up, read-only: a new set-up is a new context (with_setup).
    generator = property(lambda self: self.setup.generator,
                         doc="The generator of this fit call (see :class:`FitSetup`).")
    device = property(lambda self: self.setup.device, doc="Where the module lives.")
    max_iter = property(lambda self: self.setup.max_iter,
                        doc="Number of epochs this fit call may run.")
    train = property(lambda self: self.setup.train, doc="The training data of this call.")
    validation = property(lambda self: self.setup.validation,
                          doc="The validation data of this call, or None.")
    shard = property(lambda self: self.setup.shard,
                     doc="This process's place in a data-parallel fit, or None.")
    shuffle_generator = property(lambda self: self.setup.shuffle_generator,
                                 doc="The generator of the shuffle, or None (``generator``).")

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

    def _copy(self, setup=None, **state):
        new = object.__new__(StepContext)
        new.__dict__.update(self.__dict__)
        if setup is not None:
            new.setup = setup
        new.__dict__.update(state)
        return new

    def with_setup(self, **changes):
        """A context with the set-up's fields ``changes`` replaced, sharing this one's history,
        ``fitted`` results and epoch cache."""
        return self._copy(replace(self.setup, **changes))

    def evaluation(self):
        """A copy of this context for evaluation (``training=False``, no hand-written
        gradients)."""
        return self._copy(training=False, manual_gradients=False, gradients_written=False)


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
