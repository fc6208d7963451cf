"""Saving fitted estimators to files and loading them back, trusting classes, never functions.

:func:`save` writes an estimator with skops (a zip of JSON and arrays, no pickle);
:func:`load` reads it back only if every type the file names is one of the classes that skae's
estimators are made of (:func:`trusted_types`). A file naming any function, or a class outside
that list, is refused before anything in it is imported or constructed.
"""

from skae.io._persistence import load, save, trusted_types

__all__ = ["load", "save", "trusted_types"]
