"""Warnings that point at the user's line, however deep inside skae they are raised."""

import os
import sys

__all__ = ["external_stacklevel"]


def external_stacklevel():
    """The ``stacklevel`` that makes a warning raised by the caller point at user code.

    Counts the frames above the caller that belong to skae or scikit-learn (``fit`` wrappers,
    pipelines, meta-estimators), so the warning names the line that called into them, for
    every estimator and however deep the call.
    """
    import sklearn

    skae_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    inside = (skae_dir + os.sep, os.path.dirname(sklearn.__file__) + os.sep)
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level
