"""
Training on data larger than a memory budget
=============================================

An autoencoder is fitted on a file of 300,000 x 784 float32 rows (897 MiB) while the fit adds
less than a budget of 256 MiB to the memory of the process: skae reads a ``numpy.memmap`` one
minibatch at a time and unmaps the pages it has read, so the file is never resident as a
whole. The same fit with the rows loaded into memory is shown beside it. The last section
shows how the same script trains one model on several processes or machines with
``torch.distributed``.
"""

# %%
# The data: written once to a ``.npy`` file, chunk by chunk, so that it is never in memory
# as a whole here either (for HDF5 or zarr data, see the user guide).
import tempfile
import threading
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skae import Autoencoder
from skae.plotting import show_or_save
from skae.utils import limit_threads

limit_threads(1)
n_rows, n_features, budget_mib = 300_000, 784, 256
path = Path(tempfile.mkdtemp()) / "rows.npy"
rng = np.random.default_rng(0)
basis = rng.standard_normal((32, n_features)).astype(np.float32) / 4
X_file = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                   shape=(n_rows, n_features))
for start in range(0, n_rows, 50_000):
    z = rng.standard_normal((50_000, 32), dtype=np.float32)
    X_file[start:start + 50_000] = 1 / (1 + np.exp(-(z @ basis)))  # low-rank, in [0, 1]
X_file.flush()
del X_file
file_mib = path.stat().st_size / 2**20
print(f"{path.name}: {n_rows:,} x {n_features} float32, {file_mib:.0f} MiB")


# %%
# Resident memory (RSS, as ``top`` shows it) is sampled every 50 ms during each fit, and
# counted from what the process held before the fit: Python, torch, scikit-learn and matplotlib
# take a few hundred MiB themselves, whatever the data.
def rss_mib():
    with open("/proc/self/status") as f:  # Linux
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def fit_and_watch(load):
    """Open or load the data with ``load()``, then fit; the load is part of what is watched."""
    samples, done = [], threading.Event()
    before = rss_mib()
    start = time.perf_counter()

    def watch():
        while not done.is_set():
            samples.append((time.perf_counter() - start, rss_mib() - before))
            time.sleep(0.05)

    thread = threading.Thread(target=watch)
    thread.start()
    X = load()
    ae = Autoencoder(n_components=32, hidden_layer_sizes=(), max_iter=2, random_state=0)
    fit_start = time.perf_counter()
    with warnings.catch_warnings():
        # Two epochs show the memory; they are not meant to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
    seconds = time.perf_counter() - fit_start
    done.set()
    thread.join()
    del X
    return ae, np.array(samples), before, seconds


# The memmap fit first, so it does not inherit the memory of the in-memory one.
ae_map, rss_map, before_map, s_map = fit_and_watch(lambda: np.load(path, mmap_mode="r"))
ae_mem, rss_mem, before_mem, s_mem = fit_and_watch(lambda: np.load(path))
for name, ae, rss, before, seconds in (("memmap", ae_map, rss_map, before_map, s_map),
                                       ("in memory", ae_mem, rss_mem, before_mem, s_mem)):
    print(f"{name:>9}: peak {rss[:, 1].max():.0f} MiB above the {before:.0f} MiB held before, "
          f"{seconds / 2:.1f} s per epoch, final loss {ae.loss_curve_[-1]:.5f}")
peak_map = rss_map[:, 1].max()
print(f"memmap fit: {peak_map:.0f} MiB of its {budget_mib} MiB budget "
      f"({budget_mib - peak_map:.0f} MiB to spare)")
assert peak_map < budget_mib, "the memmap fit exceeded its memory budget"

# %%
# The memmap fit stays well under the budget throughout; the in-memory fit holds the whole
# file.
# Both reach about the same loss: the memmap fit shuffles rows within windows of 16
# minibatches (sequential reads), the in-memory fit over all rows.
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(*rss_mem.T, label="rows loaded into memory (np.load)")
ax.plot(*rss_map.T, label='memory-mapped file (np.load(..., mmap_mode="r"))')
ax.axhline(budget_mib, color="k", linestyle="--", linewidth=1)
ax.text(0, budget_mib, f" budget: {budget_mib} MiB", va="bottom")
ax.axhline(file_mib, color="grey", linestyle=":", linewidth=1)
ax.text(0, file_mib, f" size of the file: {file_mib:.0f} MiB", va="bottom", color="grey")
ax.set(xlabel="seconds since the data were opened",
       ylabel="resident memory added by the fit (MiB)",
       title="Autoencoder(784-32-784).fit, 2 epochs on 300,000 rows", ylim=(0, None))
ax.legend(loc="center right")
fig.tight_layout()
show_or_save()

# %%
# One model on several processes
# -------------------------------
# The same fit runs data-parallel when a ``torch.distributed`` process group is initialised:
# every process opens the same file, reads only its part of each minibatch, and gradients are
# averaged across processes; every process ends with the same estimator. Save this as
# ``train.py``::
#
#     import numpy as np
#     import torch.distributed as dist
#     import joblib
#     from skae import Autoencoder
#
#     dist.init_process_group("gloo")          # "nccl" on GPUs
#     X = np.load("rows.npy", mmap_mode="r")
#     ae = Autoencoder(n_components=32, random_state=0).fit(X)
#     if dist.get_rank() == 0:
#         joblib.dump(ae, "ae.joblib")
#     dist.destroy_process_group()
#
# and launch two processes on this machine with::
#
#     torchrun --standalone --nproc_per_node=2 train.py
#
# The user guide's section on scale gives the commands for several GPUs and several machines.
path.unlink()
