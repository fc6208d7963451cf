"""Data larger than memory: memory-mapped and float64 input streamed per minibatch, and
prediction memory bounded by the output's width."""

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

import skae._engine as engine
import skae._estimator as estimator_module
from skae import EASE, Autoencoder, DenoisingAutoencoder, StackedAutoencoder

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=3000, d=40, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, 5))
    return np.tanh(Z @ rng.standard_normal((5, d))).astype(np.float32)


@pytest.fixture
def memmap(tmp_path):
    X = _data()
    mm = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32,
                                   shape=X.shape)
    mm[:] = X
    mm.flush()
    return X, np.load(tmp_path / "X.npy", mmap_mode="r")


def test_a_memmap_is_streamed_and_trains_like_the_same_rows_in_memory(memmap):
    X, mm = memmap
    params = dict(n_components=5, hidden_layer_sizes=(16,), batch_size=100, max_iter=15,
                  random_state=0)
    in_memory = Autoencoder(**params).fit(X)
    streamed = Autoencoder(**params).fit(mm)
    assert isinstance(engine.BatchSource((mm,), "cpu").arrays[0], engine.StreamedRows)
    # Windowed shuffling (rows mixed within windows of 16 batches) instead of a full
    # permutation: another order, the same objective. Measured: 15 epochs end 2.2% apart.
    assert streamed.loss_curve_[-1] == pytest.approx(in_memory.loss_curve_[-1], rel=0.05)
    assert streamed.loss_curve_[-1] < 0.5 * streamed.loss_curve_[0]
    # Prediction reads the memmap batch by batch and gives exactly the in-memory result.
    np.testing.assert_array_equal(streamed.transform(mm), streamed.transform(X))
    np.testing.assert_array_equal(streamed.score_samples(mm), streamed.score_samples(X))


def test_each_window_of_a_streamed_epoch_is_read_as_one_block():
    import torch

    window = 10 * engine.STREAM_WINDOW_BATCHES
    n = 10 * window
    perm = engine._data._window_permutation(n, 10, torch.Generator().manual_seed(0)).numpy()
    assert sorted(perm.tolist()) == list(range(n))  # a permutation
    for start in range(0, n, window):  # each run of `window` positions is one whole window
        block = perm[start:start + window]
        assert block.min() % window == 0 and block.max() - block.min() == window - 1
    assert not np.array_equal(perm, np.arange(n))


@pytest.mark.parametrize("make", [
    lambda: DenoisingAutoencoder(n_components=4, noise="salt_and_pepper", max_iter=2,
                                 early_stopping=True),
    lambda: StackedAutoencoder(n_components=4, hidden_layer_sizes=(8,), max_iter=2),
])
def test_variants_that_read_the_training_data_accept_a_memmap(memmap, make):
    X, mm = memmap
    a, b = make().set_params(random_state=0).fit(mm), make().set_params(random_state=0).fit(X)
    assert a.n_iter_ == b.n_iter_ and np.isfinite(a.loss_curve_).all()


def test_float64_input_above_the_stream_limit_is_never_copied_whole(monkeypatch):
    X = _data(n=100_000, d=50).astype(np.float64)  # 40 MB; its float32 copy would be 20 MB
    monkeypatch.setattr(engine._data, "STREAM_ABOVE_BYTES", 2**20)
    ae = Autoencoder(n_components=4, batch_size=200, max_iter=1, random_state=0)
    tracemalloc.start()
    try:
        ae.fit(X)
        ae.transform(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Measured: 1.7 MB, two prediction blocks, against 20 MB for a float32 copy.
    assert peak < 0.15 * X.size * 4


def _peak_bytes(fit):
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_classifier_and_the_imputer_stream_a_memmap(tmp_path):
    """Memory-mapped training data is read one minibatch at a time by the classifier and the
    imputer too (issue 26): before, the classifier copied it whole, twice with unlabelled
    rows, and the imputer made several copies of it and of its standardised version."""
    from skae import AutoencoderImputer, StackedAutoencoderClassifier

    rng = np.random.default_rng(0)
    X = _data(n=20_000, d=100)
    y = np.where(np.arange(len(X)) % 10 == 0, (X[:, 0] > 0).astype(int), -1)
    holes = np.where(rng.random(X.shape) < 0.2, np.nan, X.astype(np.float64))
    mapped = {}
    for name, array in (("X", X), ("holes", holes)):
        np.save(tmp_path / f"{name}.npy", array)
        mapped[name] = np.load(tmp_path / f"{name}.npy", mmap_mode="r")
    batch = dict(batch_size=200, max_iter=1, random_state=0)
    makes = {
        "Autoencoder": lambda: Autoencoder(n_components=4, hidden_layer_sizes=(16,), **batch),
        "classifier": lambda: StackedAutoencoderClassifier(
            hidden_layer_sizes=(16,), pretrain_estimator=Autoencoder(max_iter=1), **batch),
        "imputer": lambda: AutoencoderImputer(n_components=4, hidden_layer_sizes=(16,),
                                              **batch),
    }
    fits = {
        "Autoencoder": lambda est: est.fit(mapped["X"]),
        "classifier": lambda est: est.fit(mapped["X"], y),
        "imputer": lambda est: est.fit(mapped["holes"]),
    }
    for name, make in makes.items():  # what a first fit loads is not what this measures
        fits[name](make())
    peak = {name: _peak_bytes(lambda name=name: fits[name](makes[name]()))
            for name in makes}
    # Measured: Autoencoder 3.3 MB, classifier 3.8 MB (both mostly the 4096-row blocks of
    # the input means), imputer 2.6 MB (the blocks of its statistics); before the fix the
    # classifier took 16.5 MB and the imputer 52 MB.
    assert peak["classifier"] < 1.5 * peak["Autoencoder"] < 0.75 * X.nbytes
    assert peak["imputer"] < 0.25 * holes.nbytes
    # The same statistics as in memory, and a model that imputes.
    streamed = makes["imputer"]().fit(mapped["holes"])
    in_memory = makes["imputer"]().fit(holes)
    np.testing.assert_allclose(streamed.mean_, in_memory.mean_, rtol=1e-12)
    np.testing.assert_allclose(streamed.scale_, in_memory.scale_, rtol=1e-12)
    assert np.isfinite(streamed.transform(holes[:50])).all()
    clf = makes["classifier"]().fit(mapped["X"], y)
    assert clf.predict(X[:5]).shape == (5,)


@pytest.mark.parametrize("memmap_input", [False, True])
def test_imputer_early_stopping_on_streamed_data(monkeypatch, tmp_path, memmap_input):
    # Data the engine streams (a memmap, or above STREAM_ABOVE_BYTES) reached the imputer's
    # validation split as StreamedRows, which have no .cpu(): AttributeError.
    from skae import AutoencoderImputer

    monkeypatch.setattr(engine, "STREAM_ABOVE_BYTES", 2**10)
    X = _data(n=600, d=10).astype(np.float64)
    X[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    if memmap_input:
        np.save(tmp_path / "X.npy", X)
        X = np.load(tmp_path / "X.npy", mmap_mode="r")
    imputer = AutoencoderImputer(n_components=2, hidden_layer_sizes=(8,), max_iter=3,
                                 early_stopping=True, random_state=0).fit(X)
    assert len(imputer.validation_loss_curve_) == 3
    assert np.isfinite(imputer.validation_loss_curve_).all()


def test_prediction_blocks_shrink_with_the_output_width(monkeypatch):
    monkeypatch.setattr(estimator_module, "PREDICT_BLOCK_BYTES", 2**20)
    assert estimator_module.predict_block_rows(64) == 4096
    assert estimator_module.predict_block_rows(20_000) == 2**20 // 80_000
    assert estimator_module.predict_block_rows(10**9) == 1


@pytest.mark.parametrize("sparse", [False, True])
def test_recommend_memory_stays_within_its_bound(monkeypatch, sparse):
    """Sparse input once copied the 3000 x 3000 weights (36 MB) per block: scipy's sparse
    product needs C-ordered weights, and LAPACK had left them Fortran-ordered."""
    rng = np.random.default_rng(0)
    X = (rng.random((2000, 3000)) < 0.01).astype(np.float32)
    X = sp.csr_matrix(X) if sparse else X
    model = EASE(alpha=10.0).fit(X)
    monkeypatch.setattr(estimator_module, "PREDICT_BLOCK_BYTES", 2**20)
    tracemalloc.start()
    try:
        items = model.recommend(X, n=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert items.shape == (2000, 10)
    # One block's scores, negation and partition indices (4 MiB in all), plus the 2000 x 10
    # results; the whole score matrix would be 24 MB.
    assert peak < 8 * 2**20


_RSS_CHILD = """
import sys
import numpy as np
import skae._engine._data
import skae._estimator
import skae.utils._memmap
from skae import Autoencoder

# Blocks of the checks, of transform, and reads between unmappings: well below the file's size.
skae.utils._memmap.BLOCK_BYTES = 16 * 2**20
skae._estimator.PREDICT_BLOCK_BYTES = 8 * 2**20
skae._engine._data._RELEASE_EVERY_BYTES = 8 * 2**20

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

params = dict(n_components=4, hidden_layer_sizes=(), max_iter=1, batch_size=100,
              random_state=0)
# Warm-up on a small array: what the first fit loads (libraries, allocator pools) is not
# what this test measures.
Autoencoder(**params).fit(np.random.default_rng(0).random((2000, 1000), dtype=np.float32))
X = np.load(sys.argv[1], mmap_mode="r")
before = hwm()
Autoencoder(**params).fit(X).transform(X)
print(hwm() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_memmap_pass_does_not_keep_the_file_resident(tmp_path):
    """Pages of a memmap that were read are unmapped again: checking, fitting and transforming
    a 160 MB file raise the process's peak resident memory by far less than the file's size
    (measured: 34 MB; 177 MB without unmapping, when every page read stays counted in RSS)."""
    path = tmp_path / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(40_000, 1000))
    for start in range(0, 40_000, 10_000):
        X[start:start + 10_000] = np.random.default_rng(start).random((10_000, 1000))
    X.flush()
    del X
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path)], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    growth = int(out.stdout.split()[-1])
    assert growth < 0.3 * 160e6, f"peak RSS grew by {growth / 1e6:.0f} MB"


def test_a_copy_on_write_memmap_keeps_the_callers_changes(tmp_path):
    """Unmapping read pages would discard changes made to a copy-on-write (mode "c") memmap;
    such mappings are left mapped."""
    path = tmp_path / "X.npy"
    np.save(path, _data(n=600, d=10))
    X = np.load(path, mmap_mode="c")
    X[0] = 0.5
    Autoencoder(n_components=2, max_iter=1, random_state=0).fit(X)
    np.testing.assert_array_equal(X[0], np.full(10, 0.5, dtype=X.dtype))
