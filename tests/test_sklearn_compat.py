"""The helpers that keep scikit-learn's private callback names in skae.utils._sklearn_compat."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skae import Autoencoder
from skae.utils._sklearn_compat import (
    callback_bookkeeping_keys,
    has_callbacks,
    init_callback_context,
)


class _Recorder:
    def __init__(self):
        self.events = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass  # a protocol hook this recorder does not need (setup and teardown are recorded)

    def on_fit_task_end(self, estimator, context, **kwargs):
        pass

    def teardown(self, estimator, context):
        pass


def test_callback_helpers_name_what_scikit_learn_stores():
    est = Autoencoder()
    assert not has_callbacks(est)
    recorder = _Recorder()
    est.set_callbacks(recorder)
    assert has_callbacks(est)
    before = set(vars(est))
    context = init_callback_context(est, max_subtasks=3)
    # The attributes a fit's context adds are exactly those the helper names (a scikit-learn
    # release that renames them fails here, not in a fit that restores attributes on error).
    assert set(vars(est)) - before == set(callback_bookkeeping_keys())
    assert recorder.events == ["setup"]
    assert context.max_subtasks == 3


def test_fit_with_callbacks_leaves_no_bookkeeping(digits):
    recorder = _Recorder()
    est = Autoencoder(2, max_iter=2, random_state=0).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(np.asarray(digits[0][:100]))
    assert recorder.events == ["setup"]
    assert not set(vars(est)) & set(callback_bookkeeping_keys())
