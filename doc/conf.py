"""Sphinx configuration for skae's documentation.

Build from the repository root (the README's command)::

    pip install -e ".[docs]"
    SKAE_DATA=../shared/data sphinx-build -W --keep-going -b html doc doc/_build/html

With ``SKAE_DATA`` set, the gallery runs every example (a few minutes on a small CPU);
without it the examples are shown unexecuted. The build needs no network: links to the Python,
NumPy, scikit-learn and PyTorch docs (intersphinx) are only fetched with
``SKAE_DOCS_INTERSPHINX=1``.
"""

import os
import sys

from docutils import nodes
from docutils.parsers.rst import Directive

# The gallery resolves the names examples use even when it does not run them; the experimental
# IterativeImputer (in the inpainting example) only exists once this import has run.
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sphinx.errors import ConfigError

sys.path.insert(0, os.path.abspath(".."))

# Sphinx reads this file from doc/ and sphinx-gallery runs each example from its own folder,
# so a relative SKAE_DATA (the README's ../shared/data) would point elsewhere there: make it
# absolute against the folder sphinx-build was started from (the shell's $PWD), once, before
# anything reads it.
_data_home = os.environ.get("SKAE_DATA")
if _data_home:
    _data_home = os.path.abspath(
        os.path.join(os.environ.get("PWD", os.getcwd()), os.path.expanduser(_data_home)))
    if not os.path.isdir(_data_home):
        raise ConfigError(
            f"SKAE_DATA={os.environ['SKAE_DATA']} is not a folder (resolved to {_data_home}). "
            "Point it at the data home, or unset it to build the gallery unexecuted.")
    os.environ["SKAE_DATA"] = _data_home

import skae  # noqa: E402

project = "skae"
author = "the skae developers"
release = skae.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
exclude_patterns = ["_build", "auto_examples/*.ipynb"]
html_theme = "pydata_sphinx_theme"

# Offline by default: an unreachable inventory is a warning, and the build treats warnings as
# errors. Set SKAE_DOCS_INTERSPHINX=1 to link names to the other projects' docs.
if os.environ.get("SKAE_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "torch": ("https://pytorch.org/docs/stable/", None),
    }

# Labels of scikit-learn's user guide that the ``score`` docstrings inherited from its
# RegressorMixin and ClassifierMixin point to (``:ref:`... <r2_score>```). They are not
# labels of these docs; link them to scikit-learn's pages rather than leave a dangling
# reference (a warning) when intersphinx is off.
_SKLEARN_LABELS = {
    "r2_score": "https://scikit-learn.org/stable/modules/model_evaluation.html#r2-score",
    "accuracy_score":
        "https://scikit-learn.org/stable/modules/model_evaluation.html#accuracy-score",
}


def _link_sklearn_labels(app, env, node, contnode):
    url = _SKLEARN_LABELS.get(node.get("reftarget"))
    if node.get("reftype") != "ref" or url is None:
        return None
    text = contnode.astext() if contnode is not None else node["reftarget"]
    return nodes.reference("", text, internal=False, refuri=url)


class _VocabularyTable(Directive):
    """``.. skae-vocabulary::`` and ``.. skae-renames::``: the tables of ``skae._vocabulary``,
    which the tests hold the estimators to, rendered where the docs need them."""

    which = None

    def run(self):
        from skae._vocabulary import table_rst

        self.state_machine.insert_input(table_rst(self.which), "skae._vocabulary")
        return []


class _Vocabulary(_VocabularyTable):
    which = "vocabulary"


class _Renames(_VocabularyTable):
    which = "renames"


def setup(app):
    # Run after intersphinx (priority 500) so that, when it is on, its links win.
    app.connect("missing-reference", _link_sklearn_labels, priority=900)
    app.add_directive("skae-vocabulary", _Vocabulary)
    app.add_directive("skae-renames", _Renames)


# The gallery collects the examples' figures itself: skae.plotting.show_or_save writes none.
os.environ["SKAE_GALLERY"] = "1"
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    # The home page's ``minigallery`` of chosen examples needs a backreferences folder (it
    # warns without one); it also indexes the examples by the skae names they use.
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skae",),
    # Examples read real data from the data home; without it the gallery is built unexecuted.
    "plot_gallery": "True" if _data_home else "False",
}
