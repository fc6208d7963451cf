"""The README and the pages of ``doc/`` against the package.

The ``>>>`` examples of the home page and the user guide run here, one section at a time, so a
section that reads a data set is skipped (without a data home) on its own, naming the files it
lacks, as the docstring examples are. And the README and the user guide name every public
estimator; the README names every benchmark script.
"""

import doctest
import inspect
import re
import warnings
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

import skae
from skae.utils import all_estimators
from tests.conftest import data_home_or_skip

ROOT = Path(__file__).parents[1]
PAGES = ("index.rst", "user_guide.rst")
# What the root conftest knows of each loader's files, for the docstring examples.
_LOADER_CALL = re.compile(r"\b(load_\w+)\(")


def _loader_files():
    import conftest  # the repository's root conftest.py, which pytest puts on the path

    return conftest._LOADER_FILES


def _sections(page):
    """``(title, first line, text)`` of each section of ``page`` with a ``>>>`` example."""
    path = ROOT / "doc" / page
    if not path.is_file():
        return []
    lines = path.read_text().splitlines(keepends=True)
    starts = [0] + [i for i in range(1, len(lines) - 1)
                    if lines[i].strip() and re.fullmatch(r"([-=~])\1{2,}", lines[i + 1].strip())
                    and len(lines[i + 1].strip()) >= len(lines[i].strip())]
    bounds = zip(starts, [*starts[1:], len(lines)])
    return [(lines[a].strip(), a, "".join(lines[a:b])) for a, b in bounds
            if ">>>" in "".join(lines[a:b])]


SECTIONS = [(page, *section) for page in PAGES for section in _sections(page)]


def test_the_pages_have_examples_to_run():
    # The parametrized test below is only as good as the sections it finds.
    titles = {(page, title) for page, title, *_ in SECTIONS}
    assert ("index.rst", "Quickstart") in titles
    assert {"Imputation", "Sparse autoencoders", "The variational autoencoder"} <= {
        title for page, title in titles if page == "user_guide.rst"}


@pytest.mark.parametrize("page, title, lineno, text", SECTIONS,
                         ids=[f"{page}:{title}" for page, title, *_ in SECTIONS])
def test_page_examples_run(page, title, lineno, text):
    test = doctest.DocTestParser().get_doctest(
        text, {}, f"{page}: {title}", str(ROOT / "doc" / page), lineno)
    loaders = {name for ex in test.examples for name in _LOADER_CALL.findall(ex.source)}
    files = [f for name in sorted(loaders) for f in _loader_files().get(name, ())]
    if files:
        data_home_or_skip(*files)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    with warnings.catch_warnings():
        # The guide's examples train briefly to stay fast, as the docstring examples do.
        warnings.simplefilter("ignore", ConvergenceWarning)
        failed, attempted = runner.run(test, out=report.append)
    assert attempted > 0
    assert failed == 0, "".join(report)


def _public_estimators():
    names = {name for name, _ in all_estimators()}
    exported = {name for name in skae.__all__
                if inspect.isclass(getattr(skae, name))
                and issubclass(getattr(skae, name), BaseEstimator)}
    # BaseAutoencoder is the extension point new estimators derive from, not one to fit.
    assert names == exported - {"BaseAutoencoder"}
    return sorted(names)


def test_readme_names_every_public_estimator():
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`(\w+)`", readme))
    assert set(_public_estimators()) - named == set()


def test_user_guide_names_every_public_estimator():
    guide = ROOT / "doc" / "user_guide.rst"
    if not guide.is_file():
        pytest.skip("doc/ is not available (installed package)")
    linked = set(re.findall(r":class:`~?skae\.(\w+)`", guide.read_text()))
    assert set(_public_estimators()) - linked == set()


def test_readme_names_every_benchmark():
    scripts = {p.name for p in (ROOT / "benchmarks").glob("bench_*.py")}
    if not scripts:
        pytest.skip("benchmarks/ is not available (installed package)")
    named = set(re.findall(r"`benchmarks/(bench_\w+\.py)", (ROOT / "README.md").read_text()))
    assert scripts - named == set()
