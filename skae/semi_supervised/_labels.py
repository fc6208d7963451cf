"""Checks of the labels given to :class:`~skae.StackedAutoencoderClassifier`."""

from numbers import Integral, Number

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from skae.semi_supervised._unlabelled import _negative_numbers, _unlabelled_mask

__all__ = ["check_label_kinds", "encode_labels"]


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


def encode_labels(y, mark, name, fitted_classes=None):
    """``(classes, y_code)``: the classes of the labelled rows of ``y`` and ``y`` as class
    indices, -1 where ``mark`` makes a row unlabelled; ``fitted_classes`` (a warm start) are
    the classes of the model being continued, which ``y`` may not extend. ``name`` is the
    estimator's, for the messages."""
    if y.dtype.kind in "US" and isinstance(mark, Integral) and str(mark) in y:
        # A list mixing strings and -1 becomes an array of strings, "-1" included.
        raise ValueError(
            f"y holds the string {str(mark)!r} among string labels, where the number "
            f"{mark} marks unlabelled rows. Pass y as an object array (numpy "
            f"dtype=object) holding the number {mark}, or set "
            f"unlabelled_label={str(mark)!r}."
        )
    unlabelled = _unlabelled_mask(y, mark)
    if unlabelled.all():
        raise ValueError(
            f"All {len(y)} rows are unlabelled (y == {mark!r}): "
            f"{name} needs labelled rows of at least two classes to "
            "fine-tune on."
        )
    mark_is_a_class = unlabelled.any() and len(np.unique(y[~unlabelled])) == 1
    if mark_is_a_class:
        # The mark beside a single class: y holds two classes, one of them the mark (e.g.
        # binary labels {-1, 1} under the default mark -1), not unlabelled rows.
        unlabelled[:] = False
    y_labelled = y[~unlabelled]
    check_classification_targets(y_labelled)
    if mark == -1 and not mark_is_a_class:
        negative = _negative_numbers(y_labelled)
        if negative.any():
            example = y_labelled[negative].tolist()[0]
            raise ValueError(
                f"y holds negative labels other than -1 (e.g. {example!r} in "
                f"{int(negative.sum())} rows): -1 marks an unlabelled row, and another "
                "negative label is more likely a typo for it than a class. Use "
                "unlabelled_label=None if these are classes and every row is labelled."
            )
    classes = np.unique(y_labelled)
    if len(classes) < 2:
        raise ValueError(
            f"{name} needs labelled rows of at least two classes; got one "
            f"class, {classes.tolist()[0]!r}."
        )
    if fitted_classes is not None:
        unseen = np.setdiff1d(classes, fitted_classes)
        if len(unseen):
            raise ValueError(
                f"warm_start=True continues the previous model, whose classes are "
                f"{fitted_classes.tolist()}; y has classes not seen then: "
                f"{unseen.tolist()}. Use warm_start=False to start a new model."
            )
    else:
        fitted_classes = classes
    # Internally -1 marks an unlabelled row, whatever the user's mark.
    y_code = np.full(len(y), -1, dtype=np.int64)
    y_code[~unlabelled] = np.searchsorted(fitted_classes, y_labelled)
    return fitted_classes, y_code
