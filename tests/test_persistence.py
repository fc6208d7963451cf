"""Persistence: pickle, deepcopy and skops, with networks loaded as weights only."""

import copy
import io
import os
import pickle

import numpy as np
import pytest
import torch

from skae import (
    CDAE,
    Autoencoder,
    AutoRecRegressor,
    MultVAE,
    StackedAutoencoder,
    VariationalAutoencoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.rand(60, 8)
PAIRS = np.array([[u, i] for u in range(10) for i in range(6) if (u + i) % 3])
RATINGS = (PAIRS.sum(1) % 5 + 1).astype(float)


def _fitted():
    small = dict(max_iter=3, random_state=0)
    return [
        (Autoencoder(hidden_layer_sizes=(4,), **small).fit(X), "transform"),
        (StackedAutoencoder(hidden_layer_sizes=(4,), **small).fit(X), "transform"),
        (VariationalAutoencoder(likelihood="bernoulli", **small).fit(X), "score_samples"),
        (MultVAE(n_components=2, hidden_layer_sizes=(4,), **small).fit(X), "predict_scores"),
        (CDAE(n_components=3, **small).fit(X), "predict_scores"),
        (AutoRecRegressor(n_components=3, solver="lbfgs", **small).fit(PAIRS, RATINGS),
         "predict"),
    ]


def _output(est, method):
    return getattr(est, method)(PAIRS if method == "predict" else X)


class _Evil:
    """Runs a shell command when unpickled by a loader that allows arbitrary globals."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _with_evil_payload(est, marker):
    """The state ``est`` would pickle, its torch payload replaced by a crafted one."""
    state = est.__getstate__()
    buffer = io.BytesIO()
    torch.save({"module_": _Evil(marker)}, buffer)
    state["_torch_payload"] = buffer.getvalue()
    return state


@pytest.mark.parametrize("i", range(6))
def test_pickle_and_deepcopy_round_trip(i):
    est, method = _fitted()[i]
    for copied in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        np.testing.assert_array_equal(_output(copied, method), _output(est, method))
        assert type(copied._optimizer) is type(est._optimizer)


def test_lbfgs_autorec_warm_starts_after_pickle_and_deepcopy():
    est = AutoRecRegressor(n_components=3, solver="lbfgs", max_iter=2, warm_start=True,
                           random_state=0).fit(PAIRS, RATINGS)
    for copied in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        copied.fit(PAIRS, RATINGS)  # raised AttributeError ('LBFGS' ... '_params') before
        assert copied.n_iter_ == 4


def test_a_crafted_payload_runs_no_code_through_pickle(tmp_path):
    marker = tmp_path / "pwned"
    est = Autoencoder(max_iter=2, random_state=0).fit(X)
    state = _with_evil_payload(est, marker)
    fresh = Autoencoder.__new__(Autoencoder)
    with pytest.raises(pickle.UnpicklingError, match="os.system|posix.system|Unsupported"):
        fresh.__setstate__(state)
    assert not marker.exists()


def test_skops_round_trip_trusts_only_skae_types_and_a_crafted_payload_runs_no_code(
        tmp_path, monkeypatch):
    sio = pytest.importorskip("skops.io")
    for est, method in _fitted():
        data = sio.dumps(est)
        untrusted = sio.get_untrusted_types(data=data)
        # skae's own classes (and the rating matrix's type): no torch type, no function.
        assert all(t.startswith(("skae.", "scipy.sparse.")) for t in untrusted), untrusted
        loaded = sio.loads(data, trusted=untrusted)
        np.testing.assert_array_equal(_output(loaded, method), _output(est, method))
    # A file whose only types are the ones skops asks to trust, with a crafted payload.
    marker = tmp_path / "pwned"
    est = Autoencoder(max_iter=2, random_state=0).fit(X)
    evil_state = _with_evil_payload(est, marker)
    monkeypatch.setattr(Autoencoder, "__getstate__", lambda self: dict(evil_state))
    data = sio.dumps(est)
    monkeypatch.undo()
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith("skae.") for t in untrusted), untrusted
    with pytest.raises(pickle.UnpicklingError):
        sio.loads(data, trusted=untrusted)
    assert not marker.exists()


class Doubling(torch.nn.Module):
    """A module class of an extension, not registered at import."""

    def forward(self, h):
        return 2 * h


def test_module_classes_of_extensions_must_be_registered():
    from skae.base import register_module_class

    est = Autoencoder(max_iter=2, random_state=0).fit(X)
    est.module_._code_act = Doubling()
    data = pickle.dumps(est)
    with pytest.raises(pickle.UnpicklingError, match="Doubling"):
        pickle.loads(data)
    register_module_class(Doubling)
    np.testing.assert_array_equal(pickle.loads(data).transform(X), est.transform(X))
    with pytest.raises(TypeError, match="torch.nn.Module subclasses"):
        register_module_class(len)
