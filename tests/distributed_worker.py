"""One process of the data-parallel tests (``tests/test_distributed.py``), run under
``python -m torch.distributed.run --standalone --nproc_per_node=2``.

Every process fits the same estimators on the same data inside the gloo process group that
torchrun set up, and saves what it ended with (weights, loss curves, predictions) to
``OUT/rank<k>.pt``; the test compares the processes with each other and with a fit in one
process.
"""

import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist


def data():
    """The data of every case; the test builds the same for its one-process fits."""
    rng = np.random.default_rng(0)
    X = rng.random((203, 12)).astype(np.float32)  # 203 rows: parts of unequal size
    y = (X[:, 0] > 0.5).astype(int)
    counts = (rng.random((60, 25)) < 0.2).astype(np.float32)
    users, items = rng.integers(0, 30, 400), rng.integers(0, 20, 400)
    ratings = rng.integers(1, 6, 400).astype(float)
    X_missing = X.copy()
    X_missing[rng.random(X.shape) < 0.2] = np.nan
    return {"X": X, "y": y, "counts": counts, "pairs": np.column_stack([users, items]),
            "ratings": ratings, "X_missing": X_missing}


def cases(d, memmap_path=None):
    """name -> (estimator, fit arguments). Small fits of every estimator that trains through
    the engine."""
    from skae import (
        CDAE,
        CDL,
        Autoencoder,
        AutoencoderImputer,
        AutoRecRegressor,
        ContractiveAutoencoder,
        DenoisingAutoencoder,
        MultDAE,
        MultVAE,
        SparseAutoencoder,
        StackedAutoencoder,
        StackedAutoencoderClassifier,
        VariationalAutoencoder,
    )

    small = {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 4, "batch_size": 32,
             "random_state": 0}
    out = {
        "Autoencoder": (Autoencoder(**small), (d["X"],)),
        "Autoencoder-early-stopping": (
            Autoencoder(**{**small, "max_iter": 6}, early_stopping=True), (d["X"],)),
        "DenoisingAutoencoder": (DenoisingAutoencoder(**small), (d["X"],)),
        "SparseAutoencoder": (SparseAutoencoder(**small), (d["X"],)),
        "ContractiveAutoencoder": (ContractiveAutoencoder(**small), (d["X"],)),
        "VariationalAutoencoder": (VariationalAutoencoder(**small), (d["X"],)),
        "StackedAutoencoder": (StackedAutoencoder(**small), (d["X"],)),
        "StackedAutoencoderClassifier": (
            StackedAutoencoderClassifier(hidden_layer_sizes=(8,), max_iter=4, batch_size=32,
                                         random_state=0), (d["X"], d["y"])),
        "AutoencoderImputer": (
            AutoencoderImputer(n_components=3, hidden_layer_sizes=(8,), max_iter=4,
                               batch_size=32, random_state=0), (d["X_missing"],)),
        "AutoRecRegressor": (AutoRecRegressor(n_components=8, max_iter=4, random_state=0),
                             (d["pairs"], d["ratings"])),
        "AutoRecRegressor-adam": (
            AutoRecRegressor(n_components=8, max_iter=4, solver="adam", batch_size=8,
                             random_state=0), (d["pairs"], d["ratings"])),
        "CDAE": (CDAE(n_components=4, max_iter=4, batch_size=16, random_state=0),
                 (d["counts"],)),
        "MultDAE": (MultDAE(n_components=3, hidden_layer_sizes=(8,), max_iter=4,
                            batch_size=16, random_state=0), (d["counts"],)),
        "MultVAE": (MultVAE(n_components=3, hidden_layer_sizes=(8,), max_iter=4,
                            batch_size=16, random_state=0), (d["counts"],)),
        "CDL": (CDL(n_components=3, hidden_layer_sizes=(8,), max_iter=3, batch_size=16,
                    random_state=0), (d["counts"],)),
    }
    if memmap_path is not None:
        X_map = np.load(memmap_path, mmap_mode="r")
        out["Autoencoder-memmap"] = (Autoencoder(**small), (X_map,))
    return out


def summary(est, d):
    """What the test compares: the fitted module's weights, the loss curve, an output."""
    module = getattr(est, "module_", None)
    state = {} if module is None else {k: v.detach().cpu().clone()
                                       for k, v in module.state_dict().items()}
    return {"state": state, "loss_curve": list(getattr(est, "loss_curve_", []) or []),
            "n_iter": getattr(est, "n_iter_", None)}


def main(out, memmap_path):
    dist.init_process_group("gloo")
    torch.set_num_threads(1)
    d = data()
    results = {name: summary(est.fit(*args), d)
               for name, (est, args) in cases(d, memmap_path).items()}
    torch.save(results, Path(out) / f"rank{dist.get_rank()}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
