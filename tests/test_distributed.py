"""Data-parallel training on torch.distributed: a 2-process gloo run on localhost, launched
with torchrun, against fits in this one process."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from skae import Autoencoder
from skae.utils import independent_fits
from skae.utils._distributed import Shard, current_shard
from tests import distributed_worker

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is absent")

WORKER = Path(__file__).parent / "distributed_worker.py"


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    """Both ranks' results of tests/distributed_worker.py, and the memmap it read."""
    out = tmp_path_factory.mktemp("ddp")
    memmap_path = out / "X.npy"
    np.save(memmap_path, distributed_worker.data()["X"])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(WORKER), str(out), str(memmap_path)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    return ranks, memmap_path


def test_every_rank_ends_with_the_same_model(two_process_run):
    (rank0, rank1), _ = two_process_run
    assert set(rank0) == set(rank1)
    assert len(rank0) == 16
    for name in rank0:
        state0, state1 = rank0[name]["state"], rank1[name]["state"]
        assert state0.keys() == state1.keys(), name
        assert state0, name
        for key in state0:
            assert torch.equal(state0[key], state1[key]), (name, key)
        assert rank0[name]["loss_curve"] == rank1[name]["loss_curve"], name
        assert rank0[name]["n_iter"] == rank1[name]["n_iter"], name


@pytest.mark.parametrize(("name", "rtol"), [
    # Losses that are means over rows: the same objective, only the order of sums differs.
    ("Autoencoder", 1e-5), ("Autoencoder-early-stopping", 1e-5), ("Autoencoder-memmap", 1e-5),
    # AutoRec's loss is a mean over the observed ratings of a minibatch; the parts are weighted
    # by their rows, not their ratings, so the objective differs slightly: measured 0.2% on the
    # loss curve after 4 full-batch L-BFGS steps (and up to 1.8% with Adam on 4-row parts).
    ("AutoRecRegressor", 1e-2),
])
def test_two_processes_match_one_process(two_process_run, name, rtol):
    """Each process trains on its part of every minibatch and DDP averages the gradients, so
    two processes follow the single-process fit on the same data and global batch."""
    (rank0, _), memmap_path = two_process_run
    d = distributed_worker.data()
    est, args = distributed_worker.cases(d, memmap_path)[name]
    single = distributed_worker.summary(est.fit(*args), d)
    parallel = rank0[name]
    assert parallel["n_iter"] == single["n_iter"]
    np.testing.assert_allclose(parallel["loss_curve"], single["loss_curve"], rtol=rtol)
    for key, value in single["state"].items():
        np.testing.assert_allclose(parallel["state"][key].numpy(), value.numpy(),
                                   rtol=100 * rtol, atol=100 * rtol,
                                   err_msg=f"{name}: {key}")


def test_noise_differs_from_a_one_process_fit(two_process_run):
    """Corruption noise is drawn per process for its own rows: a data-parallel denoising fit is
    a valid fit with other noise, not the one-process fit (a measured fact of the design, so
    that nobody relies on the opposite)."""
    (rank0, _), _ = two_process_run
    d = distributed_worker.data()
    est, args = distributed_worker.cases(d)["DenoisingAutoencoder"]
    single = distributed_worker.summary(est.fit(*args), d)
    assert rank0["DenoisingAutoencoder"]["loss_curve"] != single["loss_curve"]
    np.testing.assert_allclose(rank0["DenoisingAutoencoder"]["loss_curve"],
                               single["loss_curve"], rtol=0.2)


def test_parts_cover_each_minibatch_once():
    idx = torch.arange(10, 17)
    parts = [Shard(r, 3).part(idx, 10, 17) for r in range(3)]
    assert [len(p) for p in parts] == [2, 2, 3]
    assert torch.equal(torch.cat(parts), idx)
    slices = [Shard(r, 3).part(slice(10, 17), 10, 17) for r in range(3)]
    assert [(s.start, s.stop) for s in slices] == [(10, 12), (12, 14), (14, 17)]
    assert Shard(1, 4).part(slice(0, 1), 0, 1) == slice(0, 0)  # fewer rows than processes


def test_no_process_group_means_a_plain_fit():
    assert not dist.is_initialized()
    assert current_shard() is None
    X = np.random.default_rng(0).random((30, 5))
    with independent_fits():
        assert current_shard() is None
        a = Autoencoder(n_components=2, max_iter=2, random_state=0).fit(X)
    b = Autoencoder(n_components=2, max_iter=2, random_state=0).fit(X)
    assert a.loss_curve_ == b.loss_curve_
