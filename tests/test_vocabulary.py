"""Every public estimator against the parameter vocabulary of :mod:`skae._vocabulary`.

The table says, for each concept (code size, corruption level, L2 penalty, epochs, progress
output, posterior draws...), the one parameter name and which estimators have it. These tests
walk the constructors of the estimators exported by ``skae.__all__`` (``inspect.signature``)
and hold each one to it: the name is there exactly where the table says, it is validated and
documented as the concept's other parameters are, old and foreign names are nowhere, and
``verbose`` gives the same progress output everywhere.
"""

import ast
import inspect
import re
import warnings
from pathlib import Path

import pytest
from numpydoc.docscrape import ClassDoc
from sklearn.base import BaseEstimator

import skae
from skae._docs import DOCS
from skae._estimator import ENGINE_PARAMETER_CONSTRAINTS, TorchEstimatorMixin
from skae._vocabulary import FORBIDDEN, RENAMES, VOCABULARY, table_rst
from skae.utils import CHECK_PARAMS, all_estimators
from skae.utils._sklearn_compat import StrOptions
from tests.conftest import small_fit_data


def _public_estimators():
    """The estimator classes of ``skae.__all__`` with a constructor of their own (scikit-learn
    forbids ``*args``: the abstract BaseAutoencoder inherits object's, which has them)."""
    found = {}
    for name in skae.__all__:
        obj = getattr(skae, name)
        if not (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
            continue
        kinds = {p.kind for p in inspect.signature(obj.__init__).parameters.values()}
        if inspect.Parameter.VAR_POSITIONAL not in kinds:
            found[name] = obj
    return found


ESTIMATORS = _public_estimators()
PARAMS = {name: inspect.signature(cls).parameters for name, cls in ESTIMATORS.items()}
CONCEPTS = {entry["name"]: entry for entry in VOCABULARY}


def _having(entry):
    """The estimators the table says take the concept's parameter."""
    if "only" in entry:
        return set(entry["only"])
    return set(ESTIMATORS) - set(entry["without"])


def test_the_walk_finds_every_public_estimator():
    # Every estimator class of skae.__all__ but the abstract BaseAutoencoder: the same set
    # the common checks run on.
    assert set(ESTIMATORS) == {name for name, _ in all_estimators()}
    assert len(ESTIMATORS) == 17


def test_the_table_names_only_public_estimators():
    named = set()
    for entry in VOCABULARY:
        named |= set(entry.get("only", ())) | set(entry.get("without", {}))
        named |= set(entry.get("differs", {}))
    named |= {est for est, _, _ in RENAMES}
    assert named <= set(ESTIMATORS), named - set(ESTIMATORS)
    assert len(CONCEPTS) == len(VOCABULARY), "two concepts share a name"


@pytest.mark.parametrize("name", list(CONCEPTS))
def test_the_name_is_where_the_table_says(name):
    entry = CONCEPTS[name]
    having = {est for est, params in PARAMS.items() if name in params}
    assert having == _having(entry), (
        f"{name!r} missing from {sorted(_having(entry) - having)}, unexpected in "
        f"{sorted(having - _having(entry))}")


@pytest.mark.parametrize("name", list(CONCEPTS))
def test_defaults_are_of_the_concepts_kind(name):
    entry = CONCEPTS[name]
    kinds = [k for k in entry["defaults"] if isinstance(k, type)]
    values = [k for k in entry["defaults"] if not isinstance(k, type)]
    for est in _having(entry):
        default = PARAMS[est][name].default
        if isinstance(default, bool) and bool not in kinds:
            pytest.fail(f"{est}.{name} defaults to a bool, {default!r}")
        assert isinstance(default, tuple(kinds)) or default in values, (est, name, default)


# Engine parameters whose validation no estimator may change, except where the table says the
# parameter means something else (EASE's alpha).
@pytest.mark.parametrize("name", [n for n in CONCEPTS if n in ENGINE_PARAMETER_CONSTRAINTS])
def test_engine_parameters_are_validated_alike(name):
    # An estimator may add "auto" (a default that depends on the data, as the imputer's step
    # size); the numeric range stays the engine's.
    reference = [str(c) for c in ENGINE_PARAMETER_CONSTRAINTS[name]]
    auto = str(StrOptions({"auto"}))
    for est in _having(CONCEPTS[name]) - set(CONCEPTS[name].get("differs", {})):
        constraints = [str(c) for c in ESTIMATORS[est]._parameter_constraints[name]]
        if auto not in reference and auto in constraints:
            constraints.remove(auto)
        assert constraints == reference, (est, name)


# Values that every estimator with the concept must refuse (the rest of its range may differ:
# the Gaussian noise of DenoisingAutoencoder has no upper bound, mDA-CF takes n_draws=0 for
# its MAP factors).
REFUSED = {"n_components": [0, 2.5], "noise_level": [-0.1], "n_draws": [-1, 1.5]}


@pytest.mark.parametrize("name", list(REFUSED))
def test_shared_concepts_refuse_the_same_values(name):
    for est in sorted(_having(CONCEPTS[name])):
        X, y = small_fit_data(ESTIMATORS[est])
        for value in REFUSED[name]:
            with pytest.raises(ValueError, match=f"'{name}' parameter"):
                ESTIMATORS[est](**{name: value}).fit(X, y)


def _documented_type(cls, name):
    doc = ClassDoc(cls, config={"show_class_members": False})
    return next(p.type for p in doc["Parameters"] if p.name == name)


def _without_default(type_line):
    return re.sub(r",?\s*default=.*$", "", type_line)


@pytest.mark.parametrize("name", list(CONCEPTS))
def test_the_concepts_parameter_is_documented_with_one_type(name):
    entry = CONCEPTS[name]
    types = {est: _without_default(_documented_type(ESTIMATORS[est], name))
             for est in _having(entry) - set(entry.get("differs", {}))}
    # The "auto" code size of the imputer adds to the type; it is still an int otherwise.
    kinds = {t.replace(' or "auto"', "").replace(" in [0, 1)", "") for t in types.values()}
    assert len(kinds) == 1, types


ON_ENGINE = sorted(n for n, cls in ESTIMATORS.items() if issubclass(cls, TorchEstimatorMixin))


def test_closed_form_estimators_are_off_the_engine():
    assert set(ESTIMATORS) - set(ON_ENGINE) == {"EASE", "MDACFRegressor"}


@pytest.mark.parametrize("name", ON_ENGINE)
def test_engine_parameters_are_documented_once(name):
    # The shared fragment documents every engine parameter and every estimator on the engine
    # shows its wording (with its own defaults); only AutoRec restates ``alpha``, whose
    # decoder penalty depends on shrink_toward.
    fragment = DOCS["engine_params"]
    assert {e.split(" : ")[0] for e in fragment.split("\n\n    ")} == set(
        ENGINE_PARAMETER_CONSTRAINTS)
    doc = re.sub(r"default=.*", "default=", ESTIMATORS[name].__doc__)
    restated = {"AutoRecRegressor": {"alpha"},
                # a training budget by design, not a limit to converge within
                "AutoencoderOutlierDetector": {"max_iter"},
                # "auto": a step size that depends on the number of features
                "AutoencoderImputer": {"learning_rate_init"}}.get(name, set())
    for entry in fragment.split("\n\n    "):
        param = entry.split(" : ")[0]
        if param in PARAMS[name] and param not in restated:
            assert re.sub(r"default=.*", "default=", entry) in doc, param


def test_alpha_is_documented_against_scikit_learns_mlp():
    alpha = DOCS["engine_params"].split("\n\n    ")[0]
    assert alpha.startswith("alpha : float")
    text = " ".join(alpha.split())
    assert "mean loss of a minibatch" in text and "MLPRegressor" in text
    assert "batch_size" in text


@pytest.mark.parametrize("est, old, new", RENAMES)
def test_renamed_parameters(est, old, new):
    assert old not in PARAMS[est] and new in PARAMS[est]


def test_forbidden_names_appear_in_no_signature_or_docstring():
    for est, params in PARAMS.items():
        assert not set(params) & set(FORBIDDEN), (est, set(params) & set(FORBIDDEN))
        doc = ClassDoc(ESTIMATORS[est], config={"show_class_members": False})
        documented = {p.name for p in doc["Parameters"]}
        assert not documented & set(FORBIDDEN), (est, documented & set(FORBIDDEN))


# Old names that mean nothing else anywhere: no use of them may be left in the code, tests,
# examples, benchmarks or documentation (``n_samples``, ``alpha`` and ``dropout`` keep other
# meanings and cannot be searched for this way).
_DISTINCT_OLD = sorted({old for _, old, _ in RENAMES} - {"n_samples", "alpha", "dropout"})
# (A docstring may still quote a paper's symbol, such as CDL's ``lambda_w``.)
# A keyword argument, or a name in quotes, also as a nested parameter (``"step__old"``).
_OLD_USE = re.compile(r"\b(?:%s)\b\s*=|[\"'](?:\w+__)?(?:%s)[\"']"
                      % (("|".join(_DISTINCT_OLD),) * 2))


def test_old_names_are_used_nowhere():
    root = Path(__file__).parents[1]
    if not (root / "doc").is_dir():
        pytest.skip("the repository's doc/, examples/ and benchmarks/ are not available")
    files = [p for d in ("skae", "tests", "examples", "benchmarks", "doc")
             for p in (root / d).rglob("*") if p.suffix in (".py", ".rst", ".txt")]
    files.append(root / "README.md")
    here = Path(__file__).resolve()
    uses = [f"{p.relative_to(root)}:{i}: {line.strip()}"
            for p in files if p.resolve() != here and "_vocabulary" not in p.name
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if _OLD_USE.search(line) and "changelog" not in p.name]
    assert uses == []


def test_tables_render_every_concept_and_rename():
    vocabulary = "\n".join(table_rst("vocabulary"))
    for entry in VOCABULARY:
        assert f"``{entry['name']}``" in vocabulary
    renames = "\n".join(table_rst("renames"))
    assert all(f"``{old}``" in renames for _, old, _ in RENAMES)


# -- verbose ------------------------------------------------------------------------------
def _bars(err):
    """The descriptions of the tqdm bars written to ``err``, in order.

    A bar writes ``"\r<description>: <progress>"`` at each refresh and, as it closes
    (``leave=False``), a blank line over itself: a bar is a run of refreshes of one
    description up to that blank.
    """
    bars, open_ = [], False
    for piece in re.split(r"[\r\n]", err):
        if not piece.strip():
            open_ = False
            continue
        desc = piece.split(":")[0]
        if not open_ or bars[-1] != desc:
            bars.append(desc)
        open_ = True
    return bars


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)


def _small(name, **params):
    fast = {k: v for k, v in CHECK_PARAMS.get(name, {}).items() if k != "max_iter"}
    fast.update(max_iter=2, **params)
    if name == "MDACFRegressor":
        fast["n_draws"] = 2
    return ESTIMATORS[name](**fast)


@pytest.mark.parametrize("name", sorted(_having(CONCEPTS["verbose"])))
def test_verbose_one_bar_no_prints(name, capsys):
    X, y = small_fit_data(ESTIMATORS[name])
    _fit_quietly(_small(name, verbose=0), X, y)
    out, err = capsys.readouterr()
    assert (out, err) == ("", ""), "verbose=0 must be silent"
    _fit_quietly(_small(name, verbose=1), X, y)
    out, err = capsys.readouterr()
    assert out == "", "verbose=1 prints nothing: progress goes to one tqdm bar"
    bars = _bars(err)
    if name == "StackedAutoencoder":
        # A greedy stack: one bar over its levels (their own fits silent), then the epochs.
        assert bars == ["StackedAutoencoder pre-training", "StackedAutoencoder"]
    elif name == "StackedAutoencoderClassifier":
        assert bars == ["StackedAutoencoder pre-training", "StackedAutoencoderClassifier"]
    else:
        assert bars == [name]
    # Nothing else on stderr: every line the bars write starts with their description.
    pieces = [p for p in re.split(r"[\r\n]", err) if p.strip()]
    assert pieces and all(p.startswith(tuple(bars)) for p in pieces), pieces


def _documented_default(type_line):
    match = re.search(r"default=(.+)$", type_line)
    return None if match is None else match.group(1).strip()


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_documented_defaults_are_the_signatures(name):
    # Shared fragments state the engine's defaults; an estimator with other defaults must
    # say so in its docs (e.g. CDL's max_iter, the imputer's schedule).
    doc = ClassDoc(ESTIMATORS[name], config={"show_class_members": False})
    wrong = {}
    for param in doc["Parameters"]:
        written = _documented_default(param.type)
        default = PARAMS[name][param.name].default
        if written == "np.nan":
            ok = isinstance(default, float) and default != default
        else:
            ok = written is not None and ast.literal_eval(written) == default
        if not ok or type(ast.literal_eval(written) if written != "np.nan" else default) \
                is not type(default):
            wrong[param.name] = (written, default)
    assert wrong == {}
