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

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from skae import Autoencoder
from skae.datasets import load_mnist
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another. On 2 shared cores
# under load, 3 epochs of this autoencoder took 7 s with one thread and 78 s with two (see the
# user guide). On a machine of your own with many cores, try without this line.
limit_threads(1)
X_train, y_train = load_mnist(subset="train", return_X_y=True)
X_test, y_test = load_mnist(subset="test", return_X_y=True)
rng = np.random.default_rng(0)
train_idx = rng.choice(len(X_train), 10_000, replace=False)
X_train, y_train = X_train[train_idx], y_train[train_idx]
X_test, y_test = X_test[:5_000], y_test[:5_000]
scale = FunctionTransformer(lambda X: X.astype(np.float32) / 255.0)

# %%
# Three pipelines that differ only in the representation fed to the classifier. The
# autoencoder trains until its loss (cross-entropy per pixel, about 0.09) has improved by less
# than ``tol=1e-3`` in 10 epochs (scikit-learn's stopping rule): 20 to 30 epochs here.
pipelines = {
    "raw pixels (784)": make_pipeline(scale, SVC()),
    "PCA (32)": make_pipeline(scale, PCA(32, random_state=0), SVC()),
    "Autoencoder (32)": make_pipeline(
        scale,
        Autoencoder(32, hidden_layer_sizes=(256,), loss="cross_entropy", tol=1e-3,
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
# What the two 32-number codes keep of a test digit, and the autoencoder's training curve.
# Plots need matplotlib (``pip install -e ".[examples]"``); without it the script stops here.
try:
    import matplotlib.pyplot as plt

    from skae.plotting import show_or_save
except ImportError:
    plt = None
    print('matplotlib is not installed: no figure (pip install -e ".[examples]")')
if plt is not None:
    fig = plt.figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.6, 1])
    rows = {"test digit": Xs_test, f"autoencoder\nMSE {ae_err:.4f}": ae.reconstruct(Xs_test),
            f"PCA\nMSE {pca_err:.4f}": pca.inverse_transform(pca.transform(Xs_test))}
    axes = left.subplots(len(rows), 6)
    for (label, images), ax_row in zip(rows.items(), axes, strict=True):
        for image, ax in zip(images, ax_row, strict=False):
            ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        ax_row[0].set_ylabel(label, rotation=0, ha="right", va="center")
    left.suptitle("Reconstructions from 32 numbers")
    ax = right.subplots()
    ax.plot(np.arange(1, ae.n_iter_ + 1), ae.loss_curve_)
    ax.set(xlabel="epoch", ylabel="training loss (cross-entropy per pixel)",
           title="Autoencoder training")
    show_or_save()
