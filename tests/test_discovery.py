"""Every public estimator defined anywhere in skae is exported, and so common-checked.

:func:`skae.utils.all_estimators` reads ``skae.__all__``; an estimator class added in a module
but forgotten there would silently escape ``tests/test_common.py`` and the docstring checks.
This test finds the classes independently, by walking the package.
"""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

import skae
from skae.utils import all_estimators


def _estimator_classes_in_package():
    """``{name: class}`` of the public, concrete estimator classes defined in skae's modules."""
    found = {}
    for info in pkgutil.walk_packages(skae.__path__, prefix="skae."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            name = obj.__name__
            if (issubclass(obj, BaseEstimator)
                    and obj.__module__.split(".")[0] == "skae"  # defined here, not imported
                    and not name.startswith(("_", "Base"))
                    and not inspect.isabstract(obj)):
                found[name] = obj
    return found


def test_walk_finds_the_estimators():
    # Guards the walk itself: an empty result would make the next test pass vacuously.
    found = _estimator_classes_in_package()
    expected = {"Autoencoder", "StackedAutoencoder", "AutoRecRegressor", "EASE", "MultVAE"}
    assert expected <= set(found)
    assert not any(name.startswith(("Base", "_")) for name in found)


def test_every_estimator_class_is_exported_and_discovered():
    found = _estimator_classes_in_package()
    exported = {name: getattr(skae, name) for name in skae.__all__}
    missing = sorted(name for name, cls in found.items() if exported.get(name) is not cls)
    assert not missing, (
        f"estimator classes defined in skae but missing from skae.__all__ (so from the common "
        f"checks): {missing}"
    )
    assert dict(all_estimators()) == found
