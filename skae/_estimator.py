"""The scikit-learn side of the training engine, shared by every torch-backed estimator.

:class:`TorchEstimatorMixin` turns what an estimator declares (a
:class:`~skae._contract.TrainingConfig` built from its parameters, and its
:class:`~skae._contract.TrainingData`) into one call of :func:`skae._engine.fit_loop`, run as a
transaction: a fit that raises leaves the estimator as it was. An estimator says which module
to build (``_build_module``), what to minimise (``_loss``) and what its training data are
(``_training_data``); the other hooks are optional (see the class docstring).
"""

import io
import sys
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from torch import nn

from skae._contract import TrainingConfig
from skae._engine import (
    SCHEDULES,
    BatchSource,
    History,
    Hooks,
    NonFiniteLossError,
    StepContext,
    as_optimizers,
    fit_loop,
    iter_batches,
    make_adam,
    resolve_device,
    restore,
    snapshot,
    step_work,
)
from skae.utils._distributed import current_shard, data_parallel_device
from skae.utils._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    callback_bookkeeping_keys,
    has_callbacks,
    init_callback_context,
    teardown_callbacks,
)
from skae.utils._stack import external_stacklevel
from skae.utils._threads import chosen_threads
from skae.utils._torch_compat import safe_globals

__all__ = [
    "ENGINE_PARAMETER_CONSTRAINTS",
    "PREDICT_BATCH_SIZE",
    "PREDICT_BLOCK_BYTES",
    "TorchEstimatorMixin",
    "attributes_restored_on_error",
    "check_hidden_layer_sizes",
    "external_stacklevel",
    "forked_rng",
    "predict_block_rows",
    "register_module_class",
    "safe_module_classes",
    "store_init_params",
]

# Rows per forward pass at prediction time: large enough to amortise per-call overhead.
PREDICT_BATCH_SIZE = 4096

#: Bytes of output (float32) one prediction block may hold: wide outputs (reconstructions of
#: many features, scores of many items) get fewer rows per block, so the extra memory of a
#: prediction stays within a few times this, whatever the number of rows.
PREDICT_BLOCK_BYTES = 64 * 2**20


def predict_block_rows(width, bytes_per_value=4):
    """Rows per prediction block for outputs of ``width`` columns (see PREDICT_BLOCK_BYTES)."""
    rows = PREDICT_BLOCK_BYTES // max(1, int(width) * bytes_per_value)
    return int(min(PREDICT_BATCH_SIZE, max(1, rows)))

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


@contextmanager
def attributes_restored_on_error(estimator, saved=None):
    """Put back ``estimator``'s attributes as they were (``saved``, default: now) if the block
    raises: a fit that fails changes nothing, whatever it had set before failing."""
    saved = dict(estimator.__dict__) if saved is None else saved
    try:
        yield
        # issue 26: the callbacks' teardown runs inside the transaction: one that raises
        # leaves the estimator as it was.
        teardown_callbacks(estimator)
    except BaseException:
        # scikit-learn's callback bookkeeping of this call stays for its teardown.
        live = {k: v for k, v in estimator.__dict__.items()
                if k in callback_bookkeeping_keys()}
        estimator.__dict__.clear()
        estimator.__dict__.update(saved, **live)
        raise


def check_hidden_layer_sizes(value):
    """``hidden_layer_sizes`` as a tuple of positive ints, or a ValueError that says why not."""
    sizes = tuple(np.ravel(np.asarray(value, dtype=object)).tolist())
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must be a sequence of positive integers, got {value!r}."
        )
    return tuple(int(s) for s in sizes)


def store_init_params(estimator, params):
    """Store ``__init__``'s arguments unchanged as attributes of the same names, as scikit-learn
    requires; ``params`` is ``locals()`` at the start of ``__init__``."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _hashable(value):
    """Parameter values as comparable tuples: ``[128]``, ``(128,)`` and an array compare equal."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in value)
    return value


class _EstimatorHooks(Hooks):
    """The engine's epoch hooks for one fit call: the estimator's own (``_on_epoch_begin``,
    ``_on_epoch_end``, ``_loss_comparable``), then the user's callbacks (scikit-learn's
    callback protocol: one ``"epoch"`` task per epoch under the fit's root task)."""

    def __init__(self, estimator, callback_ctx, fitted_attributes):
        self.estimator = estimator
        self.callback_ctx = callback_ctx if has_callbacks(estimator) else None
        self.fitted_attributes = fitted_attributes
        self.epoch_ctx = None

    def on_epoch_begin(self, module, ctx):
        self.estimator._on_epoch_begin(module, ctx)
        if self.callback_ctx is not None:
            self.epoch_ctx = self.callback_ctx.subcontext(task_name="epoch")
            self.epoch_ctx.call_on_fit_task_begin(estimator=self.estimator)

    def on_epoch_end(self, module, ctx, logs):
        stop = bool(self.estimator._on_epoch_end(module, ctx, logs))
        if self.epoch_ctx is not None:
            stop |= bool(self.epoch_ctx.call_on_fit_task_end(
                estimator=self.estimator, metadata=logs,
                reconstruction_attributes=self.fitted_attributes))
        return stop

    def loss_comparable(self, ctx):
        return self.estimator._loss_comparable(ctx)


class TorchEstimatorMixin(CallbackSupportMixin):
    """Training, reproducibility, devices, callbacks and pickling for estimators on the engine.

    The contract (the "Extending skae" page of the documentation lists it whole). A subclass
    implements:

    - ``_training_data(self, X, y, *, warm, incremental, **fit_params)`` ->
      :class:`~skae._contract.TrainingData`: validate the input (``reset=not warm``) and
      return the named arrays the engine serves; set fitted attributes that describe the
      input (``n_features_in_``...) here;
    - ``_build_module(self, train, ctx)`` -> ``nn.Module`` for the training data ``train`` (a
      :class:`skae._engine.BatchSource`); ``ctx`` is the fit's
      :class:`skae._engine.StepContext`. Anything the training hooks need in later calls
      (warm starts) goes in ``ctx.state``; fitted attributes other than the module go in
      ``ctx.fitted`` and are set on the estimator when the fit succeeds;
    - ``_loss(self, module, batch, ctx)`` -> scalar tensor, the quantity minimised on a named
      minibatch, with ``ctx.training`` False for validation (no corruption, no dropout);
      noise is drawn from ``ctx.generator``, so it is reproducible from ``random_state``
      without global seeding.

    and may override:

    - ``_training_config(self)`` -> :class:`~skae._contract.TrainingConfig`: by default built
      from the parameters of the same names; fields without a parameter keep their defaults;
    - ``_check_params(self)``: checks of parameter combinations, run once per fit before the
      data are read (single values are checked by ``_parameter_constraints``);
    - ``_on_epoch_begin(self, module, ctx)`` / ``_on_epoch_end(self, module, ctx, logs)``:
      called around every epoch (schedules, closed-form updates of parameters that the
      optimizer does not train); ``_on_epoch_end`` returns True to stop;
    - ``_loss_comparable(self, ctx)``: False while the training objective still changes by
      design (e.g. KL annealing), which suspends the convergence check;
    - ``_param_groups(self, module)``: parameter groups of the optimizer (see
      :func:`skae._engine.make_adam`); ``_make_optimizer(self, module)``: the optimizer(s);
    - ``_validation_split(self, source, rng)`` -> ``(train, validation)`` sources;
    - ``_after_training(self, data)``: closed-form statistics of the trained model, computed
      once after the epochs, inside the transaction.

    ``fit`` and ``partial_fit`` call the template :meth:`_train`, which runs as a transaction
    (:meth:`_fit_transaction`): if it raises, the estimator's attributes, weights and
    optimizer state are those it had before the call.
    """

    def _training_config(self):
        """The :class:`~skae._contract.TrainingConfig` of this estimator's parameters."""
        return TrainingConfig.from_params(self.get_params(deep=False))

    def _training_data(self, X, y=None, *, warm, incremental, **fit_params):
        """The validated :class:`~skae._contract.TrainingData` of a fit call."""
        raise NotImplementedError(f"{type(self).__name__} must implement _training_data.")

    def _train(self, X, y=None, *, incremental=False, **fit_params):
        """The one fit template: check the parameters, validate the data (the
        ``_training_data`` hook) and train, all-or-nothing. Returns ``self``."""
        warm = self._is_warm(incremental)
        with self._fit_transaction(warm):
            self._check_params()
            data = self._training_data(X, y, warm=warm, incremental=incremental, **fit_params)
            self._engine_fit(data, warm=warm, incremental=incremental)
            self._after_training(data)
        return self

    def _after_training(self, data):
        """Called once after the engine's training, inside the transaction, with the fit's
        :class:`~skae._contract.TrainingData`: statistics of the trained model that are not
        trained themselves (an outlier detector's error scales and threshold)."""

    def _n_validation(self, n, what="samples"):
        """How many of ``n`` samples (or ratings...) early stopping holds out."""
        return self._training_config().n_validation(n, what)

    def _validation_split(self, source, rng):
        n = len(source)
        n_val = self._n_validation(n)
        perm = rng.permutation(n)
        return source.subset(np.sort(perm[n_val:])), source.subset(np.sort(perm[:n_val]))

    # -- hooks with defaults ------------------------------------------------------------------
    def _check_params(self):
        """Check combinations of parameters; run once per fit, before the data are read."""

    def _param_groups(self, module):
        """Parameter groups for :func:`skae._engine.make_adam`; None: weights vs. biases."""
        return None

    def _make_optimizer(self, module):
        """The optimizer of ``module`` (or a list of them): Adam with ``alpha`` as weight
        decay. Return a ``torch.optim.LBFGS`` to make every epoch one full-batch step."""
        config = self._training_config()
        return make_adam(module, config.learning_rate_init, config.alpha,
                         self._param_groups(module))

    def _on_epoch_begin(self, module, ctx):
        """Called before each epoch's first step."""

    def _on_epoch_end(self, module, ctx, logs):
        """Called after each complete epoch; return True to stop training."""
        return False

    def _loss_comparable(self, ctx):
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
        """Whether this fit continues the current model; call once per fit."""
        warm = hasattr(self, "module_") and (incremental or self._training_config().warm_start)
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

    @contextmanager
    def _fit_transaction(self, warm):
        """Run a fit all-or-nothing: on any exception, put back the estimator's attributes
        and, for a warm start, the weights and optimizer state it continued from."""
        saved = dict(self.__dict__)
        # issue 26: a continuation draws from the RandomState object in place; a failed one
        # puts its state back, so that the next continuation is that of an untouched copy.
        rng = saved.get("_random_state")
        rng_state = None if rng is None else rng.get_state()
        saved_model = None
        if warm:
            saved_model = snapshot(self.module_, as_optimizers(self._optimizer))
            saved_history = self._history
            self._history = History(**{
                **vars(saved_history),
                "loss_curve": list(saved_history.loss_curve),
                "validation_loss_curve": None if saved_history.validation_loss_curve is None
                else list(saved_history.validation_loss_curve),
                "state": dict(saved_history.state),
            })
        try:
            with attributes_restored_on_error(self, saved):
                yield
        except NonFiniteLossError as exc:
            if rng_state is not None:  # issue 26
                rng.set_state(rng_state)
            if saved_model is not None:
                restore(self.module_, as_optimizers(self._optimizer), saved_model)
            raise NonFiniteLossError(
                f"{exc} {type(self).__name__} is left as it was before this call.") from exc
        except BaseException:
            if rng_state is not None:  # issue 26
                rng.set_state(rng_state)
            if saved_model is not None:
                restore(self.module_, as_optimizers(self._optimizer), saved_model)
            raise

    def _optimizer_for_alpha(self, module, optimizer, history):
        """The optimizer of a warm start, with the weight decay of the current ``alpha``, over
        the module's current trainable parameters.

        ``alpha`` is not structural: a warm start or ``partial_fit`` after ``set_params(alpha=...)``
        applies it, as it applies ``learning_rate_init``. The optimizer is rebuilt with the new
        decay and keeps each parameter's state (Adam's moments and step count). A closure-based
        optimizer (L-BFGS) has no weight decay: its penalty is in the loss, which reads
        ``alpha`` at every step.

        It is rebuilt too where the module's trainable parameters are no longer those it
        updates: a layer reparametrised since the last fit (``weight_norm`` replaces a weight
        by two new parameters) would otherwise never train. Parameters still there keep their
        state; an L-BFGS history, which belongs to the old parameter vector, is dropped.
        """
        alpha = self._training_config().alpha
        built = history.state.get("_alpha", alpha)
        optimizers = as_optimizers(optimizer)
        same = ({p for opt in optimizers for g in opt.param_groups for p in g["params"]}
                == {p for p in module.parameters() if p.requires_grad})
        if same and (built == alpha or isinstance(optimizers[0], torch.optim.LBFGS)):
            return optimizer
        rebuilt = self._make_optimizer(module)
        for old, new in zip(optimizers, as_optimizers(rebuilt), strict=True):
            if isinstance(new, torch.optim.LBFGS) and not same:
                continue
            kept = {p for g in new.param_groups for p in g["params"]}
            for param, param_state in old.state.items():
                if param in kept:
                    new.state[param] = param_state
        history.state["_alpha"] = alpha
        return rebuilt

    def _engine_fit(self, data, *, warm, incremental=False):
        """Train on ``data`` (a validated :class:`~skae._contract.TrainingData`); start afresh
        unless ``warm``. Call inside :meth:`_fit_transaction` (:meth:`_train` does)."""
        config = self._training_config()
        rng = self._random_state if warm else check_random_state(config.random_state)
        shard = current_shard()
        device = self.device_ if warm else resolve_device(config.device)
        if shard is not None:
            device = data_parallel_device(device)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        source = BatchSource(data.arrays, device)
        max_iter = 1 if incremental else config.max_iter
        callback_ctx = init_callback_context(self, max_subtasks=max_iter)
        first = next(iter(data.arrays.values()))
        callback_ctx.call_on_fit_task_begin(estimator=self, X=first if data.X is None else data.X,
                                            y=data.y)
        with forked_rng(device, seed):
            generator = torch.Generator().manual_seed(seed)
            train, validation = source, None
            if config.early_stopping and not incremental:
                train, validation = self._validation_split(source, np.random.default_rng(seed))
            setup = {}
            if shard is not None:
                # Every process shuffles alike (the same seed) and draws its own noise for its
                # own rows; the module is built from the shared generator, so it starts the
                # same everywhere (and DDP broadcasts rank 0's weights besides).
                setup = {"shard": shard, "shuffle_generator": generator}
            history = self._history if warm else History()
            ctx = StepContext(generator, device, history, **setup)
            if warm:
                module = self.module_
                optimizer = self._optimizer_for_alpha(module, self._optimizer, history)
            else:
                # Built from the training part only: data-dependent start values (input means,
                # output biases) must not see the held-out validation data.
                module = self._build_module(train, ctx).to(device)
                optimizer = self._make_optimizer(module)
                history.state["_alpha"] = config.alpha
            if shard is not None:
                ctx = ctx.with_setup(
                    generator=torch.Generator().manual_seed(seed + 1 + shard.rank))
            if validation is not None and history.validation_loss_curve is None:
                history.validation_loss_curve = []

            def fitted_attributes():
                return {**ctx.fitted, "module_": module, "_optimizer": optimizer,
                        "_history": history, "device_": device, **_history_attributes(history)}

            outcome = fit_loop(
                module, optimizer, self._loss, train,
                history=history,
                max_iter=max_iter,
                batch_size=config.batch_rows(len(train)),
                ctx=ctx,
                hooks=_EstimatorHooks(self, callback_ctx, fitted_attributes),
                validation=validation,
                tol=config.tol,
                n_iter_no_change=config.n_iter_no_change,
                # partial_fit carries an adaptive step size over; everything else starts
                # from learning_rate_init (as scikit-learn's MLP does).
                learning_rate=(None if incremental and config.learning_rate == "adaptive"
                               else config.learning_rate_init),
                schedule=config.learning_rate,
                verbose=config.verbose,
                desc=type(self).__name__,
            )
        # Commit: only a fit that got here changes the estimator.
        for name, value in fitted_attributes().items():
            setattr(self, name, value)
        self._random_state = rng
        if not warm:
            self._built_structure = self._structure()
        callback_ctx.call_on_fit_task_end(estimator=self, reconstruction_attributes={})
        # A cosine schedule plans every one of its max_iter epochs (its step size reaches 0
        # at the last one), and some estimators' max_iter is a budget: running them all is
        # the plan, not a failure to converge (TrainingConfig.planned_epochs).
        if outcome == "max_iter" and not incremental and not config.planned_epochs:
            warnings.warn(
                f"{type(self).__name__}: maximum iterations ({config.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=external_stacklevel(),
            )
        return self

    def _predict_batches(self, X, fn, width=0, batch_size=None):
        """Apply ``fn(module, x)`` to the rows of ``X`` in batches, in eval mode and without
        gradients; returns float32 numpy (``width`` columns when ``X`` is empty).

        ``batch_size`` defaults to :func:`predict_block_rows` of the wider of the input and
        the output (``width``), so the memory a batch needs is bounded; a memory-mapped ``X``
        is read one batch at a time. torch's thread count is chosen for the work of a batch,
        as in a fit, unless the user set one.
        """
        if batch_size is None:
            batch_size = predict_block_rows(max(width, X.shape[1] if X.ndim > 1 else 1))
        module = self.module_
        module.eval()
        out = []
        with torch.no_grad(), chosen_threads(step_work(module, min(batch_size, X.shape[0]))):
            for (xb,) in iter_batches(BatchSource((X,), self.device_), batch_size):
                out.append(fn(module, xb).cpu().numpy())
        if not out:
            return np.empty((0, width), dtype=np.float32)
        out = np.concatenate(out).astype(np.float32, copy=False)
        nan_rows = np.isnan(out).reshape(len(out), -1).any(axis=1)
        if nan_rows.any():
            # The input was checked finite: NaN comes from the network (diverged weights).
            largest = max(float(p.detach().abs().max()) for p in module.parameters())
            raise ValueError(
                f"{type(self).__name__}: the network produced NaN for {int(nan_rows.sum())} of "
                f"{len(out)} rows (rows {np.flatnonzero(nan_rows)[:5].tolist()}); its weights "
                f"(largest magnitude {largest:.3g}) have probably diverged in training. Refit "
                "with a lower learning_rate_init, a larger alpha, or scaled data."
            )
        return out

    # -- pickling: torch objects travel in one torch.save payload, loaded back with
    #    ``weights_only=True``: no code runs on load beyond what pickle itself implies (and
    #    skops' check of trusted types means what it says). A model trained on a GPU loads on
    #    a machine without one, as in skorch.
    def __getstate__(self):
        # object.__getstate__ may hand back the live __dict__: copy before popping from it.
        state = dict(super().__getstate__())
        payload = {}
        for key, value in list(state.items()):
            if isinstance(value, torch.optim.Optimizer):
                # Tensors and plain containers only; rebuilt around the module on load.
                payload[key] = {_OPTIMIZER_STATE: [o.state_dict() for o in as_optimizers(value)]}
                del state[key]
            elif isinstance(value, (nn.Module, torch.Tensor, torch.device)):
                payload[key] = state.pop(key)
        if payload:
            buffer = io.BytesIO()
            torch.save(payload, buffer)
            state["_torch_payload"] = buffer.getvalue()
        return state

    def __setstate__(self, state):
        payload = state.pop("_torch_payload", None)
        optimizers = {}
        if payload is not None:
            on_cpu = not torch.cuda.is_available()
            with safe_globals(safe_module_classes()):
                objs = torch.load(io.BytesIO(payload), map_location="cpu" if on_cpu else None,
                                  weights_only=True)
            optimizers = {k: objs.pop(k)[_OPTIMIZER_STATE] for k, v in list(objs.items())
                          if isinstance(v, dict) and _OPTIMIZER_STATE in v}
            state.update(objs)
            if on_cpu and "device_" in state:
                state["device_"] = torch.device("cpu")
        super().__setstate__(state)
        for key, states in optimizers.items():
            rebuilt = self._make_optimizer(self.module_)
            for opt, opt_state in zip(as_optimizers(rebuilt), states, strict=True):
                opt.load_state_dict(opt_state)
            setattr(self, key, rebuilt)


_OPTIMIZER_STATE = "__skae_optimizer_state__"
_REGISTERED_MODULES = set()


def register_module_class(*classes):
    """Allow instances of these ``torch.nn.Module`` classes in pickled skae estimators.

    Loading an estimator runs no code beyond what pickle implies: its network is read with
    ``torch.load(weights_only=True)``, which rebuilds only modules of known classes (those of
    ``torch.nn`` and of skae). An extension whose network uses a module class of its own
    registers it once, at import.

    Parameters
    ----------
    *classes : subclasses of torch.nn.Module
        The module classes to allow.

    Returns
    -------
    classes : tuple of type
        The classes, unchanged (so this also works as a class decorator).
    """
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise TypeError(f"register_module_class takes torch.nn.Module subclasses, got {cls!r}.")
    _REGISTERED_MODULES.update(classes)
    return classes[0] if len(classes) == 1 else classes


def safe_module_classes():
    """The module classes a pickled skae estimator may contain: ``torch.nn``'s, those defined
    in skae's (imported) modules, and the registered ones."""
    classes = set(_REGISTERED_MODULES)
    namespaces = [vars(nn)] + [vars(m) for name, m in list(sys.modules.items())
                               if name == "skae" or name.startswith("skae.")]
    for namespace in namespaces:
        for value in list(namespace.values()):
            if (isinstance(value, type) and issubclass(value, nn.Module)
                    and (namespace is vars(nn) or value.__module__.startswith("skae"))):
                classes.add(value)
    return list(classes)


def _history_attributes(history):
    """The fitted attributes that report a :class:`~skae._engine.History`."""
    return {
        "loss_curve_": list(history.loss_curve),
        "validation_loss_curve_": (None if history.validation_loss_curve is None
                                   else list(history.validation_loss_curve)),
        "best_loss_": history.best_loss,
        "n_iter_": len(history.loss_curve),
    }
