"""Docstrings of every public estimator, validated by numpydoc, and the fragments behind them.

numpydoc's validator (``numpydoc.validate.validate``) checks the class docstring of every
estimator that :func:`skae.utils.all_estimators` finds, every public method skae defines on it,
and every fitted attribute that is a property (``components_``, ``mean_``,
``user_embeddings_``...). Methods inherited from scikit-learn (``get_params``, ``set_output``,
``set_*_request``...) are scikit-learn's to document and are not checked.
"""

import importlib
import inspect
import re
import warnings
from pathlib import Path

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc
from numpydoc.validate import ERROR_MSGS, validate

from skae._docs import DOCS, fill_doc
from skae.utils import CHECK_PARAMS, EXPECTED_FAILED_CHECKS, all_estimators
from tests.conftest import small_fit_data

ESTIMATORS = all_estimators()
IDS = [name for name, _ in ESTIMATORS]

# Every numpydoc check is enforced (parameters documented and matching the signature: PR01,
# PR02, PR03; types and descriptions well formed: PR04-PR10; Returns and Yields sections: RT01,
# RT03-RT05, YD01; summary and layout: GL*, SS*; See Also: SA02-SA04) except:
IGNORED = {
    # An extended summary is not needed where the one-line summary says it all (most methods).
    "ES01",
    # Named return values ("self : object", "X_new : ndarray of shape ...") are scikit-learn's
    # convention, which numpydoc reports as a type line that is not only a type.
    "RT02",
}
# Required of the class docstring, not of each method or property: the class holds the
# runnable example and the pointers to related estimators.
CLASS_ONLY = {"EX01", "SA01"}
assert (IGNORED | CLASS_ONLY) <= set(ERROR_MSGS)


def _members(cls):
    """Public methods and properties of ``cls`` that skae defines (not inherited from sklearn)."""
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        owner = next(k for k in cls.__mro__ if name in vars(k))
        if not owner.__module__.startswith("skae"):
            continue
        raw = vars(owner)[name]
        if isinstance(raw, property) or inspect.isfunction(raw):
            yield name


def _errors(path, ignore):
    return [f"{path}: {code} {msg}" for code, msg in validate(path)["errors"]
            if code not in ignore]


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_numpydoc_validation(name, cls):
    path = f"{cls.__module__}.{cls.__qualname__}"
    errors = _errors(path, IGNORED)
    for member in _members(cls):
        errors += _errors(f"{path}.{member}", IGNORED | CLASS_ONLY)
    assert not errors, "\n".join(errors)


def test_members_are_found():
    # The validation above is only as good as the list of what it validates.
    members = dict(ESTIMATORS)
    assert {"fit", "transform", "inverse_transform", "reconstruct", "score_samples",
            "components_", "mean_"} <= set(_members(members["Autoencoder"]))
    assert {"recommend", "predict_scores", "user_embeddings_"} <= set(_members(members["CDAE"]))
    assert {"fit", "predict"} <= set(_members(members["AutoRecRegressor"]))
    assert "get_params" not in set(_members(members["Autoencoder"]))  # scikit-learn's


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_parameters_and_fitted_attributes_are_documented(name, cls):
    # numpydoc checks the Parameters section against the signature (PR01, PR02) but not the
    # Attributes section against what fit sets: this test does, on numpydoc's parsed sections.
    doc = ClassDoc(cls, config={"show_class_members": False})
    params = {p.name for p in doc["Parameters"]}
    assert set(cls().get_params()) <= params, f"{name}: undocumented parameters"
    documented = {a.name for a in doc["Attributes"]}
    est = cls(**CHECK_PARAMS.get(name, {}))
    X, y = small_fit_data(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    fitted = {a for a in vars(est) if a.endswith("_") and not a.startswith("_")}
    fitted |= {m for m in _members(cls) if m.endswith("_")}  # properties (components_...)
    assert fitted, f"{name} set no fitted attributes"
    assert fitted <= documented, f"{name}: undocumented fitted attributes {fitted - documented}"
    assert doc["Examples"] and any(">>>" in line for line in doc["Examples"])


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_no_placeholder_is_left(name, cls):
    left = re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", cls.__doc__)
    assert not left, f"{name}: unfilled docstring placeholders {left}"


def test_fill_doc_shared_fragments_and_overrides():
    @fill_doc
    class Plain:
        """Doc.

        Parameters
        ----------
        {autoencoder_params}
        """

    assert 'default="relu"' in Plain.__doc__ and "{" + "tied_weights}" not in Plain.__doc__
    assert "tied_weights : bool, default=False" in Plain.__doc__  # a fragment in a fragment

    @fill_doc(tied_weights="tied_weights : bool\n        Overridden.",
              extra="x : int\n        An extra one.")
    class Overridden:
        """Doc.

        Parameters
        ----------
        {autoencoder_params}

        {extra}
        """

    assert "Overridden." in Overridden.__doc__ and "W' = W^T" not in Overridden.__doc__
    assert "x : int" in Overridden.__doc__ and "W' = W^T" in DOCS["tied_weights"]

    with pytest.raises(KeyError, match="misspelt"):
        @fill_doc
        class Misspelt:
            """{misspelt}"""



def test_fill_doc_fills_methods_at_their_indentation():
    @fill_doc(own="x : int\n        Its own.\n\n    Returns\n    -------")
    class WithMethods:
        """Doc."""

        def fit(self, X, y=None):
            """Fit.

            Parameters
            ----------
            X : array-like
            {y_ignored}

            {returns_self}
            """

        @property
        def size_(self):
            """Size.

            Parameters
            ----------
            {own}
            int
            """

    fit = WithMethods.fit.__doc__
    # The fragment's second line lines up under its first, 12 columns in, as hand-written.
    assert "\n            y : None\n                Ignored.\n" in fit
    assert "\n            Returns\n            -------\n            self : object\n" in fit
    size = WithMethods.size_.__doc__
    assert "\n            x : int\n                Its own.\n\n            Returns\n" in size
    assert "{" not in fit + size
    params = {p.name for p in FunctionDoc(WithMethods.fit, config={})["Parameters"]}
    assert params == {"X", "y"}

@fill_doc
class _Sigmoid:
    """A class whose defaults differ from the shared fragments' (at module level: the fragments
    are indented for a class docstring).

    Parameters
    ----------
    {autoencoder_params}

    {engine_params}
    """

    def __init__(self, n_components=2, hidden_layer_sizes=(64,), activation="sigmoid",
                 learning_rate_init=3e-3, max_iter=50, alpha=0.0):
        pass  # never constructed: only the signature and the filled docstring are read


def test_fill_doc_writes_the_signatures_defaults():
    # A shared fragment states the usual default; each class's docs show its own.
    doc = {p.name: p.type for p in ClassDoc(_Sigmoid, config={})["Parameters"]}
    assert doc["activation"].endswith('default="sigmoid"')
    assert doc["hidden_layer_sizes"].endswith("default=(64,)")
    assert doc["learning_rate_init"].endswith("default=3e-3")
    assert doc["max_iter"].endswith("default=50")
    # Unchanged where the text already says it, or where the signature has no such parameter.
    assert doc["alpha"].endswith("default=0.0") and doc["tol"].endswith("default=1e-4")


def test_activation_defaults_in_docs_match_the_signatures():
    from skae import Autoencoder, ContractiveAutoencoder

    for cls in (Autoencoder, ContractiveAutoencoder):
        default = inspect.signature(cls).parameters["activation"].default
        doc = {p.name: p.type for p in ClassDoc(cls, config={})["Parameters"]}
        assert doc["activation"].endswith(f'default="{default}"'), cls.__name__


def test_no_docstring_is_patched_after_definition():
    # Docstrings are filled by @fill_doc when the class is defined, never by assigning to
    # __doc__ afterwards (skae.datasets' loader template is its own, shared by two loaders).
    root = Path(importlib.import_module("skae").__file__).parent
    patched = [str(p.relative_to(root)) for p in root.rglob("*.py")
               if re.search(r"^\w+\.__doc__\s*=.*\.replace\(", p.read_text(), re.MULTILINE)]
    assert patched == []


def test_benchmarks_page_lists_the_expected_failed_checks():
    # doc/benchmarks.rst writes out EXPECTED_FAILED_CHECKS; the two must not drift apart.
    page = Path(__file__).parents[1] / "doc" / "benchmarks.rst"
    if not page.is_file():
        pytest.skip("doc/ is not available (installed package)")
    text = page.read_text().split("Expected failed estimator checks", 1)[1]
    sections = re.split(r"^(\w+)\n~+\n", text, flags=re.MULTILINE)
    listed = {sections[i]: set(re.findall(r"^- ``(check_\w+)``", sections[i + 1], re.MULTILINE))
              for i in range(1, len(sections), 2)}
    assert listed == {name: set(checks) for name, checks in EXPECTED_FAILED_CHECKS.items()}
