"""Checks of the labels given to :class:`~skae.StackedAutoencoderClassifier`."""

from numbers import Number

import numpy as np

__all__ = ["check_label_kinds"]


def _scalar(value):
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def check_label_kinds(y, mark):
    """Refuse labels of two kinds (numbers and strings), and a string ``mark`` beside labels
    that are numbers; checked on ``y`` as passed (numpy turns a list that mixes them into
    strings). The rows holding ``mark`` are left out: a number may mark unlabelled rows among
    string labels."""
    values = y.to_numpy() if hasattr(y, "to_numpy") else y
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        strings = values.dtype.kind in "US"
        example = _scalar(values.flat[0]) if values.size else None
        first_str, first_num = (example, None) if strings else (None, example)
    else:
        flat = np.asarray(values, dtype=object).ravel()
        labels = [v for v in flat if mark is None or isinstance(v, str) != isinstance(mark, str)
                  or v != mark]
        first_str = next((v for v in labels if isinstance(v, str)), None)
        first_num = next((_scalar(v) for v in labels if isinstance(v, Number)), None)
        if first_str is not None and first_num is not None:
            raise ValueError(
                f"y mixes labels of two kinds, numbers (e.g. {first_num!r}) and strings (e.g. "
                f"{first_str!r}); use one kind for every label (unlabelled_label may be a "
                "number among string labels)."
            )
    if isinstance(mark, str) and first_num is not None:
        raise ValueError(
            f"unlabelled_label={mark!r} is a string, but the labels of y are numbers (e.g. "
            f"{first_num!r}): a string never equals a number, so it would mark no row. Set "
            "unlabelled_label to a number (e.g. -1), or pass string labels."
        )
