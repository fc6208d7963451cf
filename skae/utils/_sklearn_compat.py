"""Every private scikit-learn name skae uses, imported here and nowhere else.

scikit-learn's private modules change between releases without deprecation. Keeping all of
them behind this one module means a new release breaks (at most) one file, and CI
(``.ci/run``) runs the suite against the oldest and the newest scikit-learn that
``setup.cfg`` admits.

It also provides scikit-learn's callback API (:mod:`sklearn.callback`, new in 1.9) on older
releases: the same ``set_callbacks`` method, the same hook protocol (``setup``,
``on_fit_task_begin``, ``on_fit_task_end``, ``teardown``) called with the same arguments,
the same task tree of contexts, callbacks kept by :func:`sklearn.base.clone`, and teardown
after every fit, so a callback written for scikit-learn works with skae whatever the
installed version. Not shimmed: propagation of callbacks from a meta-estimator to its
sub-estimators (``propagate_callback_context``), which skae does not use.
"""

import builtins
import copy
import functools
import inspect
import uuid
from collections.abc import Collection
from contextlib import contextmanager
from datetime import datetime, timezone

from sklearn.base import _fit_context as _sklearn_fit_context
from sklearn.impute._base import _BaseImputer
from sklearn.utils._mask import _get_mask
from sklearn.utils._missing import is_scalar_nan
from sklearn.utils._param_validation import HasMethods, Interval, MissingValues, StrOptions
from sklearn.utils.validation import _check_feature_names_in, validate_data

__all__ = [
    "HAS_SKLEARN_CALLBACKS",
    "CallbackSupportMixin",
    "callback_bookkeeping_keys",
    "has_callbacks",
    "init_callback_context",
    "HasMethods",
    "Interval",
    "MissingValues",
    "StrOptions",
    "_BaseImputer",
    "_check_feature_names_in",
    "_get_mask",
    "fit_context",
    "is_scalar_nan",
    "parametrize_with_checks",
    "teardown_callbacks",
    "validate_data",
]

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin

    HAS_SKLEARN_CALLBACKS = True
except ImportError:  # pragma: no cover - exercised by the CI run on the oldest scikit-learn
    from sklearn.base import _clone_parametrized

    HAS_SKLEARN_CALLBACKS = False

    # What a hook may ask for, by keyword-only parameter (as in sklearn.callback).
    _VALID_HOOK_PARAMS = ("X", "y", "metadata", "fitted_estimator")

    class _CallbackContext:
        """``sklearn.callback.CallbackContext`` without the meta-estimator propagation."""

        def __init__(self, callbacks, estimator_name, task_name, task_id, max_subtasks,
                     sequential_subtasks, parent=None):
            self._callbacks = callbacks
            self.estimator_name = estimator_name
            self.task_name, self.task_id = task_name, task_id
            self.max_subtasks = max_subtasks
            self.sequential_subtasks = sequential_subtasks
            self.parent = None
            self.root_uuid = uuid.uuid4() if parent is None else parent.root_uuid
            self.init_time = datetime.now(timezone.utc)
            self.source_estimator_name = self.source_task_name = None
            self._children_map = {}
            if parent is not None:
                parent._add_child(self)

        def __iter__(self):
            """Pre-order depth-first traversal of the task tree."""
            yield self
            for context in self._children_map.values():
                yield from context

        def __repr__(self):
            return (f"CallbackContext(estimator_name={self.estimator_name!r}, "
                    f"task_name={self.task_name!r}, task_id={self.task_id})")

        def _add_child(self, child):
            if child.task_id in self._children_map:
                raise ValueError(
                    f"Callback context {self.task_name} of estimator {self.estimator_name} "
                    f"already has a child with task_id={child.task_id}.")
            if self.max_subtasks is not None and len(self._children_map) >= self.max_subtasks:
                raise ValueError(
                    f"Cannot add child to callback context {self.task_name} of estimator "
                    f"{self.estimator_name} because it already has its maximum number of "
                    f"children ({self.max_subtasks}).")
            self._children_map[child.task_id] = child
            child.parent = self

        def subcontext(self, task_name="", task_id=None, max_subtasks=0,
                       sequential_subtasks=True):
            if self.sequential_subtasks and task_id is not None:
                raise ValueError(
                    f"task_id for {self.estimator_name} {task_name} must be None if "
                    f"sequential_subtasks is True for {self.task_name}.")
            if not self.sequential_subtasks and task_id is None:
                raise ValueError(
                    f"task_id for {self.estimator_name} {task_name} must be provided if "
                    f"sequential_subtasks is False for {self.task_name}.")
            if task_id is None:
                task_id = len(self._children_map)
            return _CallbackContext(self._callbacks, self.estimator_name, task_name, task_id,
                                    max_subtasks, sequential_subtasks, parent=self)

        def _call_hooks(self, estimator, hook_name, **kwargs):
            # Each hook gets only the keyword-only arguments it declares; callables are
            # evaluated lazily, once per call, as in scikit-learn.
            result = False
            evaluated = {}
            for callback in self._callbacks:
                hook = getattr(callback, hook_name)
                names = {p.name for p in inspect.signature(hook).parameters.values()
                         if p.kind == p.KEYWORD_ONLY}
                if diff := names - set(_VALID_HOOK_PARAMS):
                    raise TypeError(
                        f"Hook {hook_name} of the callback {type(callback).__name__} has "
                        f"parameters that are not valid: {diff}. The valid parameters are: "
                        f"{list(_VALID_HOOK_PARAMS)}.")
                for name in names - evaluated.keys():
                    if name == "fitted_estimator":
                        attrs = kwargs.get("reconstruction_attributes")
                        attrs = attrs() if callable(attrs) else attrs
                        fitted = None
                        if attrs is not None:
                            fitted = copy.copy(estimator)
                            for key, value in attrs.items():
                                setattr(fitted, key, value)
                        evaluated[name] = fitted
                    else:
                        value = kwargs.get(name)
                        evaluated[name] = value() if callable(value) else value
                result |= bool(hook(estimator, self, **{name: evaluated[name]
                                                        for name in names}))
            return result

        def call_on_fit_task_begin(self, *, estimator, X=None, y=None, metadata=None,
                                   reconstruction_attributes=None):
            self._call_hooks(estimator, "on_fit_task_begin", X=X, y=y, metadata=metadata,
                             reconstruction_attributes=reconstruction_attributes)
            return self

        def call_on_fit_task_end(self, *, estimator, X=None, y=None, metadata=None,
                                 reconstruction_attributes=None):
            return self._call_hooks(estimator, "on_fit_task_end", X=X, y=y, metadata=metadata,
                                    reconstruction_attributes=reconstruction_attributes)

    class CallbackSupportMixin:
        """``set_callbacks`` as in scikit-learn >= 1.9, for older releases."""

        def set_callbacks(self, *callbacks):
            """Set callbacks for the estimator.

            Parameters
            ----------
            *callbacks : callback instances
                Objects with the hooks ``setup``, ``on_fit_task_begin``,
                ``on_fit_task_end`` and ``teardown``.

            Returns
            -------
            self : estimator instance
                The estimator instance itself.
            """
            hooks = ("setup", "on_fit_task_begin", "on_fit_task_end", "teardown")
            if not all(not isinstance(c, type) and all(hasattr(c, h) for h in hooks)
                       for c in callbacks):
                raise TypeError(
                    "callbacks must be instances following the FitCallback protocol.")
            if callbacks:
                self._skl_callbacks = list(callbacks)
            else:
                self.__dict__.pop("_skl_callbacks", None)
            return self

        def __sklearn_clone__(self):
            # scikit-learn >= 1.9's clone hands the callbacks to the clone, by reference.
            clone = _clone_parametrized(self)
            if hasattr(self, "_skl_callbacks"):
                clone._skl_callbacks = self._skl_callbacks
            return clone

        def _init_callback_context(self, task_name="fit", task_id=0, max_subtasks=0,
                                   sequential_subtasks=True):
            callbacks = getattr(self, "_skl_callbacks", [])
            self._callback_fit_ctx = _CallbackContext(
                callbacks, type(self).__name__, task_name, task_id, max_subtasks,
                sequential_subtasks)
            self._skl_callbacks_to_teardown = []
            for callback in callbacks:
                self._skl_callbacks_to_teardown.append(callback)
                callback.setup(estimator=self, context=self._callback_fit_ctx)
            return self._callback_fit_ctx


# What scikit-learn's callback support (and the shim above) stores on an estimator, under
# private names: the callbacks ``set_callbacks`` was given, and the context of the running
# fit with the callbacks to tear down after it.
_CALLBACKS_ATTR = "_skl_callbacks"
_FIT_BOOKKEEPING_ATTRS = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


def callback_bookkeeping_keys():
    """The attribute names under which a fit keeps its callback context until the callbacks'
    teardown: a fit that restores the estimator's attributes on error must leave them."""
    return _FIT_BOOKKEEPING_ATTRS


def has_callbacks(estimator):
    """Whether callbacks were set on ``estimator`` (``set_callbacks``)."""
    return bool(getattr(estimator, _CALLBACKS_ATTR, None))


def init_callback_context(estimator, max_subtasks=0):
    """Start the callback context of a fit of ``estimator`` (the callbacks' ``setup`` runs),
    with at most ``max_subtasks`` sub-tasks; returns its root context."""
    return estimator._init_callback_context(max_subtasks=max_subtasks)


@contextmanager
def _teardown_callbacks(estimator):
    """Call the callbacks' ``teardown`` after fit, as scikit-learn >= 1.9's ``_fit_context``
    does itself: every callback's, even when one of them raises."""
    try:
        yield
    finally:
        if hasattr(estimator, "_callback_fit_ctx"):
            context = estimator._callback_fit_ctx
            callbacks = estimator._skl_callbacks_to_teardown
            del estimator._skl_callbacks_to_teardown, estimator._callback_fit_ctx
            _teardown_each(estimator, callbacks, context)


def _teardown_each(estimator, callbacks, context):
    """Run every callback's ``teardown``, then raise what they raised: the error of the one
    that failed, or an ExceptionGroup of all of them when several did."""
    errors = []
    for callback in callbacks:
        try:
            callback.teardown(estimator=estimator, context=context)
        except Exception as exc:
            errors.append(exc)
    exception_group = getattr(builtins, "ExceptionGroup", None)  # Python >= 3.11
    if len(errors) == 1 or (errors and exception_group is None):
        raise errors[0]
    if errors:
        raise exception_group("The following callback teardown errors occurred", errors)


def teardown_callbacks(estimator):
    """Call the callbacks' ``teardown`` now, at the end of a successful fit, instead of in
    ``_fit_context`` after it: inside skae's transaction, so that a teardown that raises
    leaves the estimator as it was (see :func:`skae._estimator.attributes_restored_on_error`).

    The fit's callback bookkeeping is removed first, so ``_fit_context`` finds nothing left to
    tear down; as there, every callback's teardown runs even when one of them raises.
    """
    if "_callback_fit_ctx" not in vars(estimator):
        return
    context = vars(estimator).pop("_callback_fit_ctx")
    callbacks = vars(estimator).pop("_skl_callbacks_to_teardown", [])
    _teardown_each(estimator, callbacks, context)


def fit_context(*, prefer_skip_nested_validation):
    """scikit-learn's ``_fit_context`` decorator (parameter validation once per fit, callback
    teardown), with the callback teardown added on releases older than 1.9."""
    decorator = _sklearn_fit_context(prefer_skip_nested_validation=prefer_skip_nested_validation)
    if HAS_SKLEARN_CALLBACKS:
        return decorator

    def wrap(fit_method):  # pragma: no cover - oldest scikit-learn only
        validated = decorator(fit_method)

        @functools.wraps(fit_method)
        def wrapper(estimator, *args, **kwargs):
            with _teardown_callbacks(estimator):
                return validated(estimator, *args, **kwargs)

        return wrapper

    return wrap


def parametrize_with_checks(estimators, **kwargs):
    """:func:`sklearn.utils.estimator_checks.parametrize_with_checks`, its checks listed.

    Before 1.9, scikit-learn hands ``pytest.mark.parametrize`` a generator, which pytest >= 9
    deprecates (``PytestRemovedIn10Warning``, an error under this suite's filterwarnings).
    """
    import pytest
    from sklearn.utils.estimator_checks import parametrize_with_checks as _parametrize

    mark = _parametrize(estimators, **kwargs)
    argnames, argvalues = mark.args
    if isinstance(argvalues, Collection):
        return mark
    return pytest.mark.parametrize(argnames, list(argvalues), **mark.kwargs)
