"""Every private scikit-learn name skae uses, imported here and nowhere else.

scikit-learn's private modules change between releases without deprecation. Keeping all of
them behind this one module means a new release breaks (at most) one file, and CI runs the
suite against the oldest and the newest scikit-learn that ``setup.cfg`` admits.

It also provides scikit-learn's callback API (:mod:`sklearn.callback`, new in 1.9) on older
releases: the same ``set_callbacks`` method and the same hook protocol (``setup``,
``on_fit_task_begin``, ``on_fit_task_end``, ``teardown``), so a callback written for
scikit-learn works with skae whatever the installed version.
"""

import copy
import functools
from contextlib import contextmanager

from sklearn.base import _fit_context as _sklearn_fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = [
    "HAS_SKLEARN_CALLBACKS",
    "CallbackSupportMixin",
    "HasMethods",
    "Interval",
    "StrOptions",
    "fit_context",
    "validate_data",
]

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin

    HAS_SKLEARN_CALLBACKS = True
except ImportError:  # pragma: no cover - exercised by the CI run on the oldest scikit-learn
    HAS_SKLEARN_CALLBACKS = False

    class _CallbackContext:
        """The part of ``sklearn.callback.CallbackContext`` that skae's engine uses."""

        def __init__(self, callbacks, estimator_name, task_name, task_id, max_subtasks,
                     parent=None):
            self._callbacks = callbacks
            self.estimator_name = estimator_name
            self.task_name, self.task_id = task_name, task_id
            self.max_subtasks = max_subtasks
            self.parent = parent
            self._n_children = 0

        def subcontext(self, task_name="", task_id=None, max_subtasks=0,
                       sequential_subtasks=True):
            if task_id is None:
                task_id = self._n_children
            self._n_children += 1
            return _CallbackContext(self._callbacks, self.estimator_name, task_name, task_id,
                                    max_subtasks, parent=self)

        def _call(self, hook, estimator, X, y, metadata, reconstruction_attributes):
            stop = False
            for callback in self._callbacks:
                attrs = reconstruction_attributes
                attrs = attrs() if callable(attrs) else attrs
                fitted = None
                if attrs is not None:
                    fitted = copy.copy(estimator)
                    for key, value in attrs.items():
                        setattr(fitted, key, value)
                stop |= bool(getattr(callback, hook)(
                    estimator, self, X=X, y=y, metadata=metadata, fitted_estimator=fitted))
            return stop

        def call_on_fit_task_begin(self, *, estimator, X=None, y=None, metadata=None,
                                   reconstruction_attributes=None):
            self._call("on_fit_task_begin", estimator, X, y, metadata,
                       reconstruction_attributes)
            return self

        def call_on_fit_task_end(self, *, estimator, X=None, y=None, metadata=None,
                                 reconstruction_attributes=None):
            return self._call("on_fit_task_end", estimator, X, y, metadata,
                              reconstruction_attributes)

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

        def _init_callback_context(self, task_name="fit", task_id=0, max_subtasks=0,
                                   sequential_subtasks=True):
            callbacks = getattr(self, "_skl_callbacks", [])
            self._callback_fit_ctx = _CallbackContext(
                callbacks, type(self).__name__, task_name, task_id, max_subtasks)
            self._skl_callbacks_to_teardown = list(callbacks)
            for callback in callbacks:
                callback.setup(estimator=self, context=self._callback_fit_ctx)
            return self._callback_fit_ctx


@contextmanager
def _teardown_callbacks(estimator):
    """Call the callbacks' ``teardown`` after fit, as scikit-learn >= 1.9's ``_fit_context``
    does itself."""
    try:
        yield
    finally:
        if hasattr(estimator, "_callback_fit_ctx"):
            context = estimator._callback_fit_ctx
            callbacks = estimator._skl_callbacks_to_teardown
            del estimator._skl_callbacks_to_teardown, estimator._callback_fit_ctx
            for callback in callbacks:
                callback.teardown(estimator=estimator, context=context)


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
