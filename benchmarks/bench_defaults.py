"""The defaults of SparseAutoencoder and ContractiveAutoencoder, against a plain Autoencoder.

Reproduces the measurements behind the default ``sparsity_weight`` and ``contraction_weight``
(issue 15, "Defaults that work"). Every regularised model is compared with a plain
:class:`skae.Autoencoder` of the same architecture (one encoder layer, 32 codes, the same code
activation), trained with the same settings (``max_iter=150``, every other parameter at its
default) in the same run, and all figures are measured on held-out images:

- ``MSE``: held-out reconstruction error (mean over pixels), and ``xMSE`` its ratio to the
  plain autoencoder's (the bar: at most 2);
- ``|h|``: mean absolute code, and ``/|h|`` how many times smaller it is than the plain one's;
- ``h=0``: share of codes exactly zero (ReLU codes only: a sigmoid is never 0);
- ``|J|``: mean Frobenius norm of the encoder's Jacobian, ``||J_f(x)||_F``, and ``/|J|`` how
  many times smaller it is than the plain one's (the squared norm, the penalised quantity,
  shrinks by the square of that factor);
- ``ep``: epochs run (the default ``tol`` stops most fits before 150), ``s``: fit seconds.

Data: scaled digits (``load_digits().data / 16``, a 70/30 split with ``random_state=0``:
1,257 training and 540 held-out images) and MNIST (``/ 255``; the first ``--n-train`` training
images and the first ``--n-test`` test images, 10,000 each by default). The Jacobian is
measured on the first 1,000 held-out images.

Usage (``SKAE_DATA`` names the data home holding ``mnist/``; digits ships with scikit-learn)::

    python benchmarks/bench_defaults.py                                # digits, ~1 minute
    SKAE_DATA=/path/to/data python benchmarks/bench_defaults.py --data digits mnist
    python benchmarks/bench_defaults.py --seeds 0 1 2 3 4              # spread over seeds
    python benchmarks/bench_defaults.py --grid                         # the weights swept
    python benchmarks/bench_defaults.py --grid --n-components 8 16 64  # other code sizes

One torch thread (``torch.set_num_threads(1)``), CPU.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import Autoencoder, ContractiveAutoencoder, SparseAutoencoder
from skae.nn import jacobian_frobenius_sq

OLD_DEFAULTS = {"contraction_weight": 0.1}  # before issue 15; sparsity_weight was and is 1e-3

# (label, class, parameters, label of the plain reference). "default" rows pass no penalty
# parameter at all, so they measure whatever the installed skae's defaults are.
DEFAULT_RUNS = [
    ("plain relu", Autoencoder, {}, None),
    ("plain sigmoid", Autoencoder, {"activation": "sigmoid"}, None),
    ("Sparse default", SparseAutoencoder, {}, "plain relu"),
    ("Sparse default, sigmoid codes", SparseAutoencoder, {"activation": "sigmoid"},
     "plain sigmoid"),
    ("Contractive default", ContractiveAutoencoder, {}, "plain sigmoid"),
    ("Contractive old default", ContractiveAutoencoder, OLD_DEFAULTS, "plain sigmoid"),
]
GRID_RUNS = (
    [(f"Sparse l1 relu w={w:g}", SparseAutoencoder, {"sparsity_weight": w}, "plain relu")
     for w in (3e-4, 1e-3, 1.25e-3, 1.5e-3, 2e-3, 3e-3, 1e-2)]
    + [(f"Sparse l1 sigmoid w={w:g}", SparseAutoencoder,
        {"activation": "sigmoid", "sparsity_weight": w}, "plain sigmoid")
       for w in (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)]
    + [(f"Sparse kl sigmoid w={w:g}", SparseAutoencoder,
        {"activation": "sigmoid", "sparsity": "kl", "sparsity_weight": w}, "plain sigmoid")
       for w in (1e-3, 1e-2, 1e-1, 1.0)]
    + [(f"Contractive w={w:g}", ContractiveAutoencoder, {"contraction_weight": w},
        "plain sigmoid")
       for w in (1e-3, 2e-3, 3e-3, 5e-3, 7e-3, 1e-2, 3e-2, 1e-1)]
    # Sigmoid codes at a 10x learning rate: the default weight then shows on small data too.
    + [("plain sigmoid lr=1e-2", Autoencoder,
        {"activation": "sigmoid", "learning_rate_init": 1e-2}, None)]
    + [(f"Sparse {kind} sigmoid lr=1e-2", SparseAutoencoder,
        {"activation": "sigmoid", "sparsity": kind, "learning_rate_init": 1e-2},
        "plain sigmoid lr=1e-2")
       for kind in ("l1", "kl")]
)


def load(name, n_train, n_test):
    if name == "digits":
        X = load_digits().data / 16.0
        return train_test_split(X, test_size=0.3, random_state=0)
    from skae.datasets import load_mnist

    X_train, _ = load_mnist(subset="train", return_X_y=True)
    X_test, _ = load_mnist(subset="test", return_X_y=True)
    return X_train[:n_train] / 255.0, X_test[:n_test] / 255.0


def measure(est, X_test):
    H = est.transform(X_test)
    x = torch.tensor(X_test[:1000], dtype=torch.float32)
    with torch.no_grad():
        jac = jacobian_frobenius_sq(est.module_.encode, x).sqrt().mean().item()
    return {
        "mse": float(-est.score_samples(X_test).astype(np.float64).mean()),
        "abs_h": float(np.abs(H).mean()),
        "zero": float(np.mean(H == 0)),
        "jac": jac,
        "epochs": est.n_iter_,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", default=["digits"], choices=["digits", "mnist"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--n-components", nargs="+", type=int, default=[32])
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--n-train", type=int, default=10_000, help="MNIST training images")
    parser.add_argument("--n-test", type=int, default=10_000, help="MNIST held-out images")
    parser.add_argument("--grid", action="store_true", help="also sweep the penalty weights")
    args = parser.parse_args()

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    runs = DEFAULT_RUNS + (GRID_RUNS if args.grid else [])
    print(f"{'data':7}{'k':>4}{'seed':>5}  {'model':32}{'MSE':>8}{'xMSE':>6}{'|h|':>7}"
          f"{'/|h|':>7}{'h=0':>6}{'|J|':>7}{'/|J|':>6}{'ep':>5}{'s':>6}")
    verdicts = []
    for data in args.data:
        X_train, X_test = load(data, args.n_train, args.n_test)
        for k in args.n_components:
            for seed in args.seeds:
                results = {}
                for label, cls, params, ref in runs:
                    est = cls(n_components=k, max_iter=args.max_iter, random_state=seed,
                              **params)
                    start = time.perf_counter()
                    est.fit(X_train)
                    seconds = time.perf_counter() - start
                    r = results[label] = measure(est, X_test)
                    p = results[ref] if ref else r
                    print(f"{data:7}{k:4d}{seed:5d}  {label:32}{r['mse']:8.4f}"
                          f"{r['mse'] / p['mse']:6.2f}{r['abs_h']:7.3f}"
                          f"{p['abs_h'] / r['abs_h']:7.2f}{r['zero']:6.2f}{r['jac']:7.3f}"
                          f"{p['jac'] / r['jac']:6.2f}{r['epochs']:5d}{seconds:6.1f}",
                          flush=True)
                plain_r, plain_s = results["plain relu"], results["plain sigmoid"]
                sparse, cae = results["Sparse default"], results["Contractive default"]
                verdicts.append(
                    (data, k, seed,
                     plain_r["abs_h"] / sparse["abs_h"],
                     sparse["zero"] / max(plain_r["zero"], 1e-12),
                     sparse["mse"] / plain_r["mse"],
                     plain_s["jac"] / cae["jac"],
                     cae["mse"] / plain_s["mse"]))
    print("\nDefaults against the plain autoencoder (times smaller / times as many / ratio):")
    print(f"{'data':7}{'k':>4}{'seed':>5}  {'Sparse /|h|':>12}{'xh=0':>6}{'xMSE':>6}"
          f"  {'Contractive /|J|':>17}{'xMSE':>6}")
    for data, k, seed, h, z, ms, j, mc in verdicts:
        print(f"{data:7}{k:4d}{seed:5d}  {h:12.2f}{z:6.2f}{ms:6.2f}  {j:17.2f}{mc:6.2f}")


if __name__ == "__main__":
    main()
