"""Find skae's public estimators, so that common tests check each one the day it is added."""

import inspect

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def all_estimators():
    """Every public estimator class exported by :mod:`skae`, as ``(name, class)`` pairs.

    Returns
    -------
    estimators : list of (str, type)
        Sorted by name; abstract bases (names starting with ``Base``) are left out.

    Examples
    --------
    >>> from skae.utils import all_estimators
    >>> dict(all_estimators())["Autoencoder"].__name__
    'Autoencoder'
    """
    import skae

    found = []
    for name in skae.__all__:
        obj = getattr(skae, name)
        if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                and not name.startswith("Base") and not inspect.isabstract(obj)):
            found.append((name, obj))
    return sorted(found)
