"""Sphinx configuration for skae's documentation.

Build with ``pip install -e ".[docs]" && sphinx-build -b html doc doc/_build/html``.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import skae  # noqa: E402

project = "skae"
author = "the skae developers"
release = skae.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
exclude_patterns = ["_build", "auto_examples/*.ipynb"]
html_theme = "pydata_sphinx_theme"

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "torch": ("https://pytorch.org/docs/stable/", None),
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    # Examples read real data from the data home; without it the gallery is built unexecuted.
    "plot_gallery": "True" if os.environ.get("SKAE_DATA") else "False",
}
