"""How long does ``fit`` take? skae versus a hand-written PyTorch loop, scikit-learn, pyod, skorch.

Every contender trains the same network (ReLU hidden and code layers, identity output, MSE,
Adam with learning rate 1e-3, no weight decay, no dropout or batch norm) on the same data for
the same number of epochs and batch size. Each runs in its own fresh process: one warm-up fit,
then ``--repeats`` timed fits. Printed: median wall seconds of ``fit``, the ratio to the
hand-written loop (the 1.00 reference), final training MSE per element, and the process's
peak resident memory above what it held before the first fit.

Usage::

    python benchmarks/bench_fit.py                 # all cases, 3 repeats, 1 thread
    python benchmarks/bench_fit.py --quick         # smaller synthetic set, 1 repeat
    python benchmarks/bench_fit.py --threads 2
    python benchmarks/bench_fit.py --baseline /tmp/skae-main   # a worktree of another commit
    python benchmarks/bench_fit.py --methods "torch loop" skae --baseline /tmp/skae-main
    SKAE_DATA=/path/to/data python benchmarks/bench_fit.py --long  # epoch times, early vs late
    python benchmarks/bench_fit.py --busy          # default threads vs one, beside a busy core
    python benchmarks/bench_fit.py --busy --baseline /tmp/skae-main  # and another checkout's

``--busy`` times fits with torch's thread count left to skae (the defaults: no
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_WAIT_POLICY`` in the environment, whatever
the shell set) against ``limit_threads(1)``, while another process keeps one core busy with a
Python loop: the user guide's grid search (``SparseAutoencoder`` + ``SVC`` on digits, with
``n_jobs=None`` and ``n_jobs=2``), a plain digits fit and an MNIST-sized fit. Every fit runs in
a new process and the variants take turns (A, B, C, A, B, C...), so that a change in the
machine's other load reaches all of them alike; printed are the median seconds, every run,
and the ratio to ``limit_threads(1)``. Goal: every default within 1.3x of one thread.

Goal: skae the fastest of all (the hand-written loop, MLPRegressor, pyod's AutoEncoder and
skorch) on every case. A peer that is not installed is reported as failed and the run goes on.
(encdr, another peer, needs Python 3.12 or newer.)
"""

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time

import numpy as np

CASES = {
    # name: (data, hidden layers between input and code, code size)
    "digits 1797x64, 64-32-64": ("digits", (), 32),
    "digits, 64-256-64-256-64": ("digits", (256,), 64),
    "synthetic 20000x784, 784-32-784": ("synthetic", (), 32),
    "synthetic, 784-256-64-256-784": ("synthetic", (256,), 64),
}
METHODS = ["torch loop", "skae", "MLPRegressor", "pyod", "skorch"]


def load_data(name, n_synthetic):
    import numpy as np

    if name == "digits":
        from sklearn.datasets import load_digits

        X = load_digits().data / 16.0
    else:
        # Low-rank structure plus noise, standardised: an autoencoder has something to learn.
        rng = np.random.default_rng(0)
        Z = rng.standard_normal((n_synthetic, 32))
        noise = 0.1 * rng.standard_normal((n_synthetic, 784))
        X = np.tanh(Z @ rng.standard_normal((32, 784)) / 4) + noise
        X = (X - X.mean(0)) / X.std(0)
    return X.astype(np.float32)


def torch_loop(X, hidden, code, epochs, batch_size, seed):
    """The minimal hand-written loop every comparison is relative to."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    sizes = [X.shape[1], *hidden, code]
    enc = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
    rev = sizes[::-1]
    dec = [m for a, b in zip(rev, rev[1:]) for m in (nn.Linear(a, b), nn.ReLU())][:-1]
    model = nn.Sequential(*enc, *dec)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for i in range(0, len(Xt), batch_size):
            xb = Xt[perm[i:i + batch_size]]
            opt.zero_grad()
            loss = ((model(xb) - xb) ** 2).mean()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return float(((model(Xt) - Xt) ** 2).mean())


def skae_fit(X, hidden, code, epochs, batch_size, seed):
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    from skae import Autoencoder

    ae = Autoencoder(code, hidden_layer_sizes=hidden, activation="relu", batch_size=batch_size,
                     max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget, on purpose
        ae.fit(X)
    return float(np.mean((ae.reconstruct(X) - X) ** 2))


def mlp_fit(X, hidden, code, epochs, batch_size, seed):
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    mlp = MLPRegressor(hidden_layer_sizes=(*hidden, code, *hidden[::-1]), activation="relu",
                       solver="adam", alpha=0.0, batch_size=batch_size, learning_rate_init=1e-3,
                       max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, X)
    return float(np.mean((mlp.predict(X) - X) ** 2))


def pyod_fit(X, hidden, code, epochs, batch_size, seed):
    import torch
    from pyod.models.auto_encoder import AutoEncoder

    clf = AutoEncoder(hidden_neuron_list=[*hidden, code], epoch_num=epochs,
                      batch_size=batch_size, lr=1e-3, optimizer_params={"weight_decay": 0.0},
                      batch_norm=False, dropout_rate=0.0, preprocessing=False, verbose=0,
                      random_state=seed, device="cpu")
    clf.fit(X)
    with torch.no_grad():
        clf.model.eval()
        Xt = torch.from_numpy(X)
        return float(((clf.model(Xt) - Xt) ** 2).mean())


def long_worker(args, queue):
    """Epoch times of a long fit: a reduced Hinton & Salakhutdinov deep autoencoder on MNIST
    (logistic hidden units, linear code, cosine step size, L2 1e-5), where late epochs used to
    slow down when values drifted into float32's subnormal range."""
    import sys
    import time
    import warnings

    import numpy as np
    import torch
    from sklearn.exceptions import ConvergenceWarning

    if args.baseline:
        sys.path.insert(0, args.baseline)
    from skae import Autoencoder

    torch.set_num_threads(args.threads)
    try:
        from skae.datasets import load_mnist

        X = load_mnist(subset="train", return_X_y=True)[0][:args.long_rows] / 255.0
        data = f"MNIST {len(X)}x784"
    except (OSError, ImportError):
        X = load_data("synthetic", args.long_rows)
        data = f"synthetic {len(X)}x784"
    stamps = []

    class Timer:
        def setup(self, estimator, context):
            stamps.append(time.perf_counter())

        def on_fit_task_begin(self, estimator, context, **kwargs):
            pass

        def on_fit_task_end(self, estimator, context, **kwargs):
            if context.task_name == "epoch":
                stamps.append(time.perf_counter())

        def teardown(self, estimator, context):
            pass

    ae = Autoencoder(30, hidden_layer_sizes=(500, 250), activation="sigmoid",
                     code_activation="identity", alpha=1e-5, learning_rate="cosine",
                     batch_size=args.batch_size, max_iter=args.long_epochs, tol=0.0,
                     n_iter_no_change=args.long_epochs + 1, random_state=0)
    if hasattr(ae, "set_callbacks"):
        ae.set_callbacks(Timer())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X.astype(np.float32))
    total = time.perf_counter() - start
    queue.put((data, np.diff(stamps).tolist(), total))


def long_training(args):
    ctx = mp.get_context("spawn")
    for label, baseline in [("skae", None)] + ([("skae (baseline)", args.baseline)]
                                               if args.baseline else []):
        queue = ctx.Queue()
        run = argparse.Namespace(**{**vars(args), "baseline": baseline})
        proc = ctx.Process(target=long_worker, args=(run, queue))
        proc.start()
        data, epochs, total = queue.get()
        proc.join()
        if len(epochs) < 20:  # a checkout without callbacks: total time only
            print(f"{data}, {args.long_epochs} epochs, {label}: {total:.1f} s in all")
            continue
        first, last = np.mean(epochs[:10]), np.mean(epochs[-10:])
        print(f"{data}, {args.long_epochs} epochs, {label}: first 10 epochs {first:.2f} s each, "
              f"last 10 {last:.2f} s each (last/first {last / first:.2f}); {total:.1f} s in all")


def skorch_fit(X, hidden, code, epochs, batch_size, seed):
    import numpy as np
    import torch
    from skorch import NeuralNetRegressor
    from torch import nn

    torch.manual_seed(seed)
    sizes = [X.shape[1], *hidden, code]
    enc = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
    rev = sizes[::-1]
    dec = [m for a, b in zip(rev, rev[1:]) for m in (nn.Linear(a, b), nn.ReLU())][:-1]
    net = NeuralNetRegressor(nn.Sequential(*enc, *dec), criterion=nn.MSELoss,
                             optimizer=torch.optim.Adam, lr=1e-3, batch_size=batch_size,
                             max_epochs=epochs, train_split=None, iterator_train__shuffle=True,
                             verbose=0)
    net.fit(X, X)
    return float(np.mean((net.predict(X) - X) ** 2))


FITS = {"torch loop": torch_loop, "skae": skae_fit, "MLPRegressor": mlp_fit, "pyod": pyod_fit,
        "skorch": skorch_fit}


def worker(method, case, args, queue):
    """Run in a fresh process: warm up, then time ``args.repeats`` fits."""
    import resource
    import sys

    import torch

    if method == "skae (baseline)":
        # Another checkout of skae (--baseline), imported ahead of the installed one.
        sys.path.insert(0, args.baseline)
        method = "skae"

    torch.set_num_threads(args.threads)
    data, hidden, code = CASES[case]
    X = load_data(data, args.n_synthetic)
    fit = FITS[method]
    try:
        fit(X[:256], hidden, code, 1, args.batch_size, 0)  # imports, first optimizer, allocator
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        times, mse = [], None
        for rep in range(args.repeats):
            start = time.perf_counter()
            mse = fit(X, hidden, code, args.epochs, args.batch_size, rep)
            times.append(time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        queue.put((statistics.median(times), mse, peak / 1024))
    except Exception as exc:  # a peer that is not installed or fails is reported, not fatal
        queue.put((None, f"{type(exc).__name__}: {exc}"[:60], None))


def measure(method, case, args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=worker, args=(method, case, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


# -- default threads against one, beside a busy core ----------------------------------------

BUSY_CASES = {
    # name: what is fitted (see busy_worker)
    "grid search, n_jobs=None": "grid",
    "grid search, n_jobs=2": "grid",
    "plain fit, digits 64-128-32-128-64": "digits",
    "plain fit, 5000x784, 784-256-32-256-784": "synthetic",
}
BUSY_VARIANTS = ["limit_threads(1)", "default", "default, torch imported first"]


def busy_loop():
    """Keep one core busy (the other work of a shared machine)."""
    while True:
        pass


def busy_worker(case, variant, baseline, queue):
    """Run in a fresh process: one fit of ``case`` with the threads of ``variant``; put the
    wall seconds and torch's thread count after the fit on ``queue``."""
    import sys
    import time
    import warnings

    import numpy as np

    if variant.startswith("default, torch imported first"):
        import torch  # noqa: F401  (before skae: OpenMP threads spin while they wait)
    if baseline:
        sys.path.insert(0, baseline)
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    from skae import Autoencoder, SparseAutoencoder
    from skae.utils import limit_threads

    if variant == "limit_threads(1)":
        limit_threads(1)
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    kind = BUSY_CASES[case]
    if kind == "synthetic":
        X = load_data("synthetic", 5000)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kind == "grid":
            search = GridSearchCV(
                Pipeline([("ae", SparseAutoencoder(hidden_layer_sizes=(128,), random_state=0)),
                          ("clf", SVC())]),
                {"ae__n_components": [16, 32, 64]}, n_jobs=2 if "n_jobs=2" in case else None)
            search.fit(X, y)
        elif kind == "digits":
            Autoencoder(32, hidden_layer_sizes=(128,), random_state=0).fit(X)
        else:
            Autoencoder(32, hidden_layer_sizes=(256,), max_iter=5, random_state=0).fit(X)
    seconds = time.perf_counter() - start
    if kind == "grid":
        # loky keeps idle workers for minutes, and this process's exit waits for them.
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    queue.put(seconds)


def busy_comparison(args):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
        os.environ.pop(var, None)  # the defaults: what a user who set nothing gets
    ctx = mp.get_context("spawn")
    variants = BUSY_VARIANTS + (["default (baseline checkout)"] if args.baseline else [])
    print(f"seconds per fit with another process busy on one core; {os.cpu_count()} cores; "
          f"median of {args.repeats} runs, variants interleaved; ratio = median / "
          "limit_threads(1)'s")
    header = f"{'case':<40} {'threads':<32} {'median':>7} {'ratio':>6}  runs"
    print(header)
    print("-" * len(header))
    for case in args.busy_cases:
        busy = ctx.Process(target=busy_loop, daemon=True)
        busy.start()
        try:
            times = {v: [] for v in variants}
            for _ in range(args.repeats):
                for variant in variants:
                    queue = ctx.Queue()
                    baseline = args.baseline if variant.endswith("(baseline checkout)") else None
                    proc = ctx.Process(target=busy_worker,
                                       args=(case, variant, baseline, queue))
                    proc.start()
                    times[variant].append(queue.get())
                    proc.join()
                    print(f"  {case}, {variant}: {times[variant][-1]:.2f} s", file=sys.stderr,
                          flush=True)
        finally:
            busy.terminate()
            busy.join()
        reference = statistics.median(times["limit_threads(1)"])
        for variant in variants:
            median = statistics.median(times[variant])
            runs = " ".join(f"{t:.2f}" for t in times[variant])
            print(f"{case:<40} {variant:<32} {median:>7.2f} {median / reference:>6.2f}  {runs}",
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-synthetic", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="5,000 synthetic rows, 1 repeat")
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--methods", nargs="*", default=METHODS,
                        help="contenders to time (the torch loop is the ratios' reference)")
    parser.add_argument("--long", action="store_true",
                        help="only the long-training case: epoch times early and late in a fit")
    parser.add_argument("--long-epochs", type=int, default=60)
    parser.add_argument("--long-rows", type=int, default=10_000)
    parser.add_argument("--busy", action="store_true",
                        help="only default threads against limit_threads(1), beside a busy core")
    parser.add_argument("--busy-cases", nargs="*", default=list(BUSY_CASES))
    parser.add_argument("--baseline", metavar="PATH",
                        help="also time the skae of another checkout (e.g. a git worktree of "
                             "an earlier commit), in the same run")
    args = parser.parse_args()
    if args.quick:
        args.n_synthetic, args.repeats = 5_000, 1
    if args.busy:
        busy_comparison(args)
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # numpy's BLAS in the workers (MLPRegressor)
    if args.long:
        long_training(args)
        return

    print(f"{args.epochs} epochs, batch {args.batch_size}, Adam lr 1e-3, MSE, median of "
          f"{args.repeats} fits after a warm-up, {args.threads} thread(s); ratio = time / torch "
          "loop time; peak = extra resident memory during the fits (MiB)")
    header = (f"{'case':<34} {'method':<16} {'seconds':>8} {'ratio':>6} {'train MSE':>10} "
              f"{'peak':>6}")
    print(header)
    print("-" * len(header))
    methods = list(args.methods) + (["skae (baseline)"] if args.baseline else [])
    for case in args.cases:
        base = None
        for method in methods:
            seconds, mse, peak = measure(method, case, args)
            if seconds is None:
                print(f"{case:<34} {method:<16} failed: {mse}")
                continue
            base = seconds if method == "torch loop" else base
            ratio = seconds / base if base else float("nan")
            print(f"{case:<34} {method:<16} {seconds:>8.3f} {ratio:>6.2f} {mse:>10.4f} "
                  f"{peak:>6.0f}", flush=True)


if __name__ == "__main__":
    main()
