"""The default code size of SparseAutoencoder: its codes as features, by code size.

Reproduces the measurement behind ``SparseAutoencoder``'s default ``n_components`` (issue 30).
For each code size, a ``SparseAutoencoder`` with every other parameter at its default is
fitted on the training part of a data set, and a ``LogisticRegression`` (after a
``StandardScaler``) is fitted on its training codes and scored on the held-out codes. Only
training data is used: the held-out part is cut from it, never from a test set.

The rule, fixed before the first run: the default is the smallest code size whose held-out
accuracy is within 1 percentage point of the best code size's, on every data set (a wider code
costs fit and prediction time, and sparse codes are meant to be wide enough to spread the
data over many units, few active at a time).

Data: scaled digits (``load_digits().data / 16``, a 70/30 split with ``random_state=0``:
1,257 training and 540 held-out images); the first 10,000 MNIST and Fashion-MNIST training
images (``/ 255``, an 80/20 split with ``random_state=0``: 8,000 and 2,000). The line
``pixels`` is the same classifier on the pixels themselves.

Usage (``SKAE_DATA`` names the data home holding ``mnist/`` and ``fashion-mnist/``)::

    SKAE_DATA=/path/to/data python benchmarks/bench_code_size.py
    python benchmarks/bench_code_size.py --data digits --seeds 0 1 2

One torch thread (``torch.set_num_threads(1)``), CPU.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import SparseAutoencoder

SIZES = (2, 8, 32, 64, 128, 256)
TOLERANCE = 0.01  # the rule's margin: 1 percentage point of held-out accuracy


def load(name, n_train):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
    from skae.datasets import load_fashion_mnist, load_mnist

    loader = load_mnist if name == "mnist" else load_fashion_mnist
    X, y = loader(subset="train", return_X_y=True)
    return train_test_split(X[:n_train] / 255.0, y[:n_train], test_size=0.2, random_state=0)


def accuracy(F_train, y_train, F_held, y_held):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return clf.fit(F_train, y_train).score(F_held, y_held)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", default=["digits", "mnist", "fashion"],
                        choices=["digits", "mnist", "fashion"])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--n-train", type=int, default=10_000,
                        help="MNIST / Fashion-MNIST training images used (train + held out)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print(f"{'data':8}{'k':>5}{'seed':>5}{'accuracy':>10}{'zeros':>7}{'epochs':>7}{'s':>7}")
    means = {}
    for data in args.data:
        X_train, X_held, y_train, y_held = load(data, args.n_train)
        print(f"{data:8}{'pixels':>10}{accuracy(X_train, y_train, X_held, y_held):10.4f}",
              flush=True)
        for k in args.sizes:
            scores = []
            for seed in args.seeds:
                start = time.perf_counter()
                ae = SparseAutoencoder(n_components=k, random_state=seed).fit(X_train)
                seconds = time.perf_counter() - start
                H_train, H_held = ae.transform(X_train), ae.transform(X_held)
                scores.append(accuracy(H_train, y_train, H_held, y_held))
                print(f"{data:8}{k:5d}{seed:5d}{scores[-1]:10.4f}{np.mean(H_held == 0):7.2f}"
                      f"{ae.n_iter_:7d}{seconds:7.1f}", flush=True)
            means[data, k] = float(np.mean(scores))
    print("\nMean held-out accuracy by code size, and the rule's choice:")
    ok = []
    for k in args.sizes:
        row = "  ".join(f"{data} {means[data, k]:.4f}" for data in args.data)
        within = all(means[data, k] >= max(means[data, j] for j in args.sizes) - TOLERANCE
                     for data in args.data)
        ok += [k] if within else []
        print(f"k={k:<4d} {row}  {'within 1 point of the best' if within else ''}")
    print(f"smallest code within 1 point of the best on every data set: {min(ok)}")


if __name__ == "__main__":
    main()
