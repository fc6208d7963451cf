"""Scale: fitting data larger than memory, data-parallel fits, and prediction memory.

Cases (each in a fresh process, one torch thread per process unless said otherwise):

1. **In memory vs memory-mapped.** An ``Autoencoder`` 784-32-784 (batch 200, Adam) for
   ``--epochs`` epochs on N x 784 float32 rows (N = 200,000 and 2,000,000; the larger file is
   6.3 GB), once with the rows loaded into memory (``np.load``) and once from the same ``.npy``
   opened as a ``numpy.memmap``. Printed: seconds per epoch, peak resident memory (RSS, as the
   kernel counts it, file pages included; sampled every 20 ms), and the final training loss:
   the memmap fit shuffles within windows of 16 minibatches (``STREAM_WINDOW_BATCHES``), the
   in-memory fit over all rows, so the loss after the same epochs shows what that costs.
2. **torch.distributed, 1 vs 2 processes.** The same fit on the 200,000-row memmap in one
   process, and in two processes of one machine launched with ``torchrun`` (gloo, one thread
   each; the global minibatch stays 200 rows, each process computes 100 of them).
3. **Prediction memory.** ``EASE`` on 20,000 items: the growth of RSS during ``recommend`` for
   10,000 users (top 100) against the bound of one row block (``PREDICT_BLOCK_BYTES`` of
   scores plus the top-k temporaries).

Data: low-rank structure plus noise, in [0, 1] (written once per size into ``--dir``).

Goals (issue 16): the memmap fit's peak RSS under 1 GB at both sizes and its seconds per epoch
within 1.3x of the in-memory fit; prediction memory within its bound.

Usage::

    python benchmarks/bench_scale.py                     # everything (about 30 minutes)
    python benchmarks/bench_scale.py --sizes 200000      # skip the 6 GB file
    python benchmarks/bench_scale.py --only memmap ddp recommend --dir /big/disk
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()


class PeakRSS:
    """Peak of this process's resident memory (VmRSS), sampled in a thread."""

    def __init__(self, interval=0.02):
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()

    @staticmethod
    def now():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024  # MiB
        return float("nan")

    def __enter__(self):
        self.peak = self.now()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def make_data(path, n, seed=0, chunk=50_000):
    """N x 784 float32 rows in [0, 1] with low-rank structure, written to ``path`` (.npy)."""
    if path.exists():
        return
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((32, 784)).astype(np.float32) / 4
    out = np.lib.format.open_memmap(path.with_suffix(".tmp.npy"), mode="w+",
                                    dtype=np.float32, shape=(n, 784))
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        z = rng.standard_normal((m, 32), dtype=np.float32)
        x = 1 / (1 + np.exp(-(z @ basis))) + 0.05 * rng.standard_normal((m, 784),
                                                                          dtype=np.float32)
        out[start:start + m] = np.clip(x, 0, 1)
    out.flush()
    del out
    path.with_suffix(".tmp.npy").rename(path)


# -- children: each case in a fresh process -----------------------------------------------------
def child_fit(path, mode, epochs):
    import torch

    from skae import Autoencoder
    from skae.utils import limit_threads

    limit_threads(1)
    with PeakRSS() as rss:
        X = np.load(path, mmap_mode="r") if mode == "memmap" else np.load(path)
        ae = Autoencoder(n_components=32, hidden_layer_sizes=(), batch_size=200,
                         max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1,
                         random_state=0)
        start = time.perf_counter()
        ae.fit(X)
        seconds = time.perf_counter() - start
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0:
        print(json.dumps({"s_per_epoch": seconds / epochs, "peak_rss_mib": rss.peak,
                          "loss": ae.loss_curve_[-1],
                          "processes": int(os.environ.get("WORLD_SIZE", "1")),
                          "threads": torch.get_num_threads()}))


def child_ddp(path, epochs):
    import torch.distributed as dist

    dist.init_process_group("gloo")
    try:
        child_fit(path, "memmap", epochs)
    finally:
        dist.destroy_process_group()


def child_recommend(n_items, n_users):
    import scipy.sparse as sp

    from skae import EASE
    from skae.utils import limit_threads

    limit_threads(2)
    rng = np.random.default_rng(0)
    # Power-law item popularity, ~50 interactions per user.
    pop = 1 / np.arange(1, n_items + 1) ** 0.8
    pop /= pop.sum()
    rows = np.repeat(np.arange(n_users), 50)
    cols = rng.choice(n_items, size=rows.size, p=pop)
    X = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), (n_users, n_items))
    X.data[:] = 1
    model = EASE(alpha=500.0).fit(X)
    with PeakRSS(0.005) as rss:
        before = rss.now()
        model.recommend(X, n=100)
    print(json.dumps({"growth_mib": rss.peak - before}))


def run_child(args, env=None, launcher=None):
    cmd = [*(launcher or [sys.executable]), str(HERE), "--child", *map(str, args)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:120]}
    return json.loads(lines[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--only", nargs="+", default=["memmap", "ddp", "recommend"],
                   choices=["memmap", "ddp", "recommend"])
    p.add_argument("--dir", default=None, help="where the data files go (default: a temp dir)")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "fit":
            child_fit(rest[0], rest[1], int(rest[2]))
        elif kind == "ddp":
            child_ddp(rest[0], int(rest[1]))
        else:
            child_recommend(int(rest[0]), int(rest[1]))
        return

    workdir = Path(args.dir or tempfile.mkdtemp(prefix="skae-scale-"))
    print(f"data in {workdir}; {args.epochs} epochs per fit; 784-32-784, batch 200")
    if "memmap" in args.only:
        print("\n| rows | input | s/epoch | peak RSS (MiB) | final loss |")
        print("|---|---|---|---|---|")
        for n in args.sizes:
            path = workdir / f"x{n}.npy"
            make_data(path, n)
            res = {mode: run_child(["fit", path, mode, args.epochs])
                   for mode in ("memory", "memmap")}
            for mode, r in res.items():
                if "error" in r:
                    print(f"| {n:,} | {mode} | failed: {r['error']} | | |")
                    continue
                print(f"| {n:,} | {mode} | {r['s_per_epoch']:.1f} | {r['peak_rss_mib']:.0f} | "
                      f"{r['loss']:.5f} |")
            if all("error" not in r for r in res.values()):
                print(f"| {n:,} | memmap / memory | "
                      f"{res['memmap']['s_per_epoch'] / res['memory']['s_per_epoch']:.2f}x | "
                      f"{res['memmap']['peak_rss_mib'] / res['memory']['peak_rss_mib']:.2f}x | |")
    if "ddp" in args.only:
        n = min(args.sizes)
        path = workdir / f"x{n}.npy"
        make_data(path, n)
        one = run_child(["fit", path, "memmap", args.epochs])
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                    "--nproc_per_node=2"]
        two = run_child(["ddp", path, args.epochs], launcher=torchrun)
        print(f"\ntorch.distributed on {n:,} memmapped rows (gloo, 1 thread per process)")
        print("| processes | s/epoch | final loss | peak RSS of rank 0 (MiB) |")
        print("|---|---|---|---|")
        for k, r in ((1, one), (2, two)):
            if "error" in r:
                print(f"| {k} | failed: {r['error']} | | |")
            else:
                print(f"| {k} | {r['s_per_epoch']:.1f} | {r['loss']:.5f} | "
                      f"{r['peak_rss_mib']:.0f} |")
        if "error" not in one and "error" not in two:
            print(f"speed-up of 2 processes: {one['s_per_epoch'] / two['s_per_epoch']:.2f}x")
    if "recommend" in args.only:
        from skae._estimator import PREDICT_BLOCK_BYTES

        r = run_child(["recommend", 20_000, 10_000])
        print("\nEASE.recommend, 10,000 users x 20,000 items, top 100")
        if "error" in r:
            print(f"failed: {r['error']}")
        else:
            outputs = 10_000 * 100 * (8 + 4) / 2**20  # the returned items and scores
            bound = PREDICT_BLOCK_BYTES / 2**20 + outputs
            print(f"RSS growth during recommend: {r['growth_mib']:.0f} MiB; bound: one block "
                  f"({PREDICT_BLOCK_BYTES / 2**20:.0f} MiB with its top-k temporaries) + the "
                  f"outputs ({outputs:.0f} MiB) = {bound:.0f} MiB; "
                  f"{'within' if r['growth_mib'] <= bound else 'ABOVE'} the bound")


if __name__ == "__main__":
    main()
