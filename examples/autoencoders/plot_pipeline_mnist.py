"""
Autoencoder features in a scikit-learn Pipeline on MNIST
========================================================

An :class:`skae.Autoencoder` compresses 784 pixels to a 32-number code; an RBF support
vector classifier on that code is compared with the same classifier on PCA codes of the same
size and on the raw pixels. Everything is ordinary scikit-learn: ``Pipeline``,
``FunctionTransformer``, ``make_pipeline``.

Run from the repository root with ``SKAE_DATA`` naming your data home, e.g.
``SKAE_DATA=/path/to/data python examples/autoencoders/plot_pipeline_mnist.py``.
"""

# %%
# Load a subset of MNIST from the data home and scale pixels to [0, 1].
import time
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from skae import Autoencoder
from skae.datasets import load_mnist

X_train, y_train = load_mnist(subset="train", return_X_y=True)
X_test, y_test = load_mnist(subset="test", return_X_y=True)
rng = np.random.default_rng(0)
train_idx = rng.choice(len(X_train), 10_000, replace=False)
X_train, y_train = X_train[train_idx], y_train[train_idx]
X_test, y_test = X_test[:5_000], y_test[:5_000]
# 30 epochs is a fixed budget chosen for speed, not convergence: don't warn about it.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
scale = FunctionTransformer(lambda X: X.astype(np.float32) / 255.0)

# %%
# Three pipelines that differ only in the representation fed to the classifier.
pipelines = {
    "raw pixels (784)": make_pipeline(scale, SVC()),
    "PCA (32)": make_pipeline(scale, PCA(32, random_state=0), SVC()),
    "Autoencoder (32)": make_pipeline(
        scale,
        Autoencoder(32, hidden_layer_sizes=(256,), loss="cross_entropy", max_iter=30,
                    batch_size=128, random_state=0),
        SVC(),
    ),
}

print(f"MNIST: {len(X_train)} training and {len(X_test)} test images")
print(f"{'features':<20} {'test accuracy':>14} {'fit seconds':>12}")
results = {}
for name, pipe in pipelines.items():
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    results[name] = pipe.score(X_test, y_test)
    print(f"{name:<20} {results[name]:>14.4f} {seconds:>12.1f}")

# %%
# How well does the 32-number code describe an image? Mean squared pixel error of the
# reconstructions, autoencoder versus PCA.
ae_pipe = pipelines["Autoencoder (32)"]
Xs_test = scale.transform(X_test)
ae = ae_pipe.named_steps["autoencoder"]
pca = pipelines["PCA (32)"].named_steps["pca"]
ae_err = np.mean((ae.reconstruct(Xs_test) - Xs_test) ** 2)
pca_err = np.mean((pca.inverse_transform(pca.transform(Xs_test)) - Xs_test) ** 2)
print(f"reconstruction MSE per pixel: autoencoder {ae_err:.4f}, PCA {pca_err:.4f}")
verdict = "beats" if results["Autoencoder (32)"] > results["PCA (32)"] else "trails"
print(f"for classification the autoencoder's code {verdict} PCA's")

# %%
# Loss curve of the autoencoder.
try:
    import matplotlib.pyplot as plt
except ImportError:  # plots are optional
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(np.arange(1, ae.n_iter_ + 1), ae.loss_curve_)
    ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)", title="Autoencoder on MNIST")
    fig.tight_layout()
