"""Every public fitted attribute and parameter of a transformer is documented in its class."""

import re
import warnings

import pytest
from sklearn.base import TransformerMixin

from skae.utils import CHECK_PARAMS, all_estimators

TRANSFORMERS = [(n, c) for n, c in all_estimators() if issubclass(c, TransformerMixin)]


def _documented(doc, name):
    return re.search(rf"^\s*{re.escape(name)}\s*:", doc, flags=re.MULTILINE) is not None


@pytest.mark.parametrize("name, cls", TRANSFORMERS, ids=[n for n, _ in TRANSFORMERS])
def test_parameters_and_fitted_attributes_are_documented(name, cls, digits):
    X, _ = digits
    doc = cls.__doc__
    for param in cls().get_params():
        assert _documented(doc, param), f"{name}: parameter {param!r} is not documented"
    est = cls(**CHECK_PARAMS.get(name, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:200])
    fitted = [a for a in vars(est) if a.endswith("_") and not a.startswith("_")]
    assert fitted, f"{name} set no fitted attributes"
    for attr in fitted:
        assert _documented(doc, attr), f"{name}: fitted attribute {attr!r} is not documented"
    assert "Examples" in doc and ">>>" in doc, f"{name} has no runnable example"
