"""Epoch-level callbacks: a function called after every epoch, and weight checkpoints."""

import math
import os
import string

import torch

from skae.utils._distributed import current_shard

__all__ = ["Checkpoint", "EpochCallback"]


def _check_path_template(path):
    """Refuse a :class:`Checkpoint` path whose braces are not ``{epoch}`` (with an optional
    format spec or conversion) or doubled: the first save would fail mid-fit otherwise."""
    template = os.fspath(path)
    if not isinstance(template, str):
        raise TypeError(f"Checkpoint path must be a str or os.PathLike of str, got {path!r}.")
    hint = ("only {epoch} is filled in (with the epoch number); write a literal brace "
            "doubled, {{ or }}.")
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:  # a single "{" or "}"
        raise ValueError(f"Checkpoint path {template!r} has an unmatched brace ({exc}); "
                         f"{hint}") from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        field = "{" + name + (f"!{conversion}" if conversion else "") + (
            f":{spec}" if spec else "") + "}"
        if name != "epoch":
            raise ValueError(f"Checkpoint path {template!r} has the placeholder {field}; "
                             f"{hint}")
        try:
            field.format(epoch=1)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Checkpoint path {template!r}: {field} cannot format an epoch "
                             f"number ({exc}).") from None


class _EpochHooks:
    """scikit-learn's callback protocol, reduced to "after each epoch" (``_on_epoch``).

    skae's estimators run one task named ``"epoch"`` per epoch under the fit's root task; its
    ``on_fit_task_end`` receives the epoch's logs as ``metadata`` (``epoch``, ``loss``,
    ``lr`` and, with early stopping, ``val_loss``) and a fitted copy of the estimator as it
    stands after the epoch as ``fitted_estimator``.
    """

    def setup(self, estimator, context):
        """Called when a fit starts."""

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        """Called when a task (the fit, or one epoch) starts."""

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        """Called when a task ends; returns True to stop training after an epoch."""
        if context.task_name != "epoch" or metadata is None or fitted_estimator is None:
            return False
        return bool(self._on_epoch(dict(metadata), fitted_estimator))

    def teardown(self, estimator, context):
        """Called when a fit ends, whether or not it succeeded."""

    def _on_epoch(self, logs, estimator):
        raise NotImplementedError


class EpochCallback(_EpochHooks):
    """Call a function after every training epoch; stop training when it returns True.

    Parameters
    ----------
    func : callable
        ``func(logs, estimator)``, where ``logs`` is a dict with the epoch number
        (``"epoch"``, from 1 over the model's life), the training loss (``"loss"``), the step
        size (``"lr"``) and, with ``early_stopping=True``, the validation loss
        (``"val_loss"``); ``estimator`` is a fitted copy of the estimator as it stands after
        the epoch (it can ``transform``, ``predict``, ``score``...). Its module is the one
        being trained: copy what you want to keep. A true return value stops training after
        this epoch (no ``ConvergenceWarning``).

    See Also
    --------
    Checkpoint : Save the weights during training.

    Examples
    --------
    Log every epoch and stop once the loss is low enough:

    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> from skae.callbacks import EpochCallback
    >>> X = load_digits().data / 16
    >>> seen = []
    >>> def log_and_stop(logs, estimator):
    ...     seen.append(logs["loss"])
    ...     return logs["loss"] < 0.05
    >>> ae = Autoencoder(n_components=8, max_iter=50, random_state=0)
    >>> ae = ae.set_callbacks(EpochCallback(log_and_stop)).fit(X)
    >>> ae.n_iter_ == len(seen) and seen[-1] < 0.05 <= seen[-2]
    True
    """

    def __init__(self, func):
        self.func = func

    def _on_epoch(self, logs, estimator):
        return self.func(logs, estimator)


class Checkpoint(_EpochHooks):
    """Save the network's weights during training: after the best epochs, or after every one.

    The file holds only tensors and plain values (``{"epoch", monitor, "state_dict"}``),
    so it loads with ``torch.load(path, weights_only=True)``, which runs no code:
    ``estimator.module_.load_state_dict(torch.load(path, weights_only=True)["state_dict"])``
    puts the weights back into a fitted estimator of the same settings. In a data-parallel fit
    on ``torch.distributed`` every process holds the same weights and only rank 0 writes.

    Parameters
    ----------
    path : str or os.PathLike
        Where to save. May contain ``{epoch}`` (or ``{epoch:03d}``...), formatted with the
        epoch number, to keep one file per saved epoch; a literal brace is written doubled
        (``{{`` or ``}}``). Any other brace is an error when the callback is constructed.
    monitor : {"loss", "val_loss"}, default="loss"
        The quantity that decides which epoch is best (``"val_loss"`` needs
        ``early_stopping=True``).
    save_best_only : bool, default=True
        Save only when ``monitor`` improves on every earlier epoch of the current fit; False
        saves after every epoch.

    Attributes
    ----------
    best_ : float
        Best value of ``monitor`` seen in the current (or last) fit.
    saved_epochs_ : list of int
        The epochs saved in the current (or last) fit.

    See Also
    --------
    EpochCallback : Call any function after each epoch.

    Examples
    --------
    >>> import os, tempfile, torch
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> from skae.callbacks import Checkpoint
    >>> X = load_digits().data / 16
    >>> path = os.path.join(tempfile.mkdtemp(), "best.pt")
    >>> ckpt = Checkpoint(path)
    >>> ae = Autoencoder(n_components=8, max_iter=5, random_state=0).set_callbacks(ckpt)
    >>> ae = ae.fit(X)
    >>> saved = torch.load(path, weights_only=True)
    >>> saved["epoch"] == ckpt.saved_epochs_[-1]
    True
    """

    def __init__(self, path, *, monitor="loss", save_best_only=True):
        _check_path_template(path)
        self.path = path
        self.monitor = monitor
        self.save_best_only = save_best_only

    def setup(self, estimator, context):
        """Start a new record of the best value for this fit."""
        self.best_ = math.inf
        self.saved_epochs_ = []

    def _on_epoch(self, logs, estimator):
        if self.monitor not in logs:
            raise ValueError(
                f"Checkpoint(monitor={self.monitor!r}): the epoch logs have no {self.monitor!r} "
                f"(they have {sorted(logs)}); 'val_loss' needs early_stopping=True."
            )
        value = logs[self.monitor]
        if self.save_best_only and not value < self.best_:
            return False
        self.best_ = min(self.best_, value)
        self.saved_epochs_.append(logs["epoch"])
        shard = current_shard()
        if shard is not None and shard.rank != 0:
            # In a data-parallel fit every process holds the same weights: rank 0 writes them.
            return False
        state = {k: v.detach().cpu().clone() for k, v in estimator.module_.state_dict().items()}
        path = os.fspath(self.path).format(epoch=logs["epoch"])
        torch.save({"epoch": logs["epoch"], self.monitor: value, "state_dict": state}, path)
        return False
