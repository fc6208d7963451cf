"""Callbacks that watch and steer training, on scikit-learn's callback protocol.

Set them with ``estimator.set_callbacks(...)``. Any object with the four hooks of
scikit-learn's protocol (``setup``, ``on_fit_task_begin``, ``on_fit_task_end``,
``teardown``) works too: skae runs one ``"epoch"`` task per epoch under each fit.
"""

from skae.callbacks._epoch import Checkpoint, EpochCallback

__all__ = ["Checkpoint", "EpochCallback"]
