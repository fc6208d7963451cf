"""
Inpainting MNIST digits: filling in a hidden block and missing pixels
=====================================================================

:class:`skae.AutoencoderImputer` fills in the missing entries of a table; an image is a row of
pixels, so filling in holes in images (inpainting) is imputation. Two kinds of holes are made
in MNIST digits:

- a random 12x12 block of each image (a sixth of the pixels, all in one place);
- 50% of the pixels missing completely at random.

For each, the imputers are fitted on 5,000 training images with holes of the same kind and
fill in 1,000 test images they have not seen. The figure shows the original digits, the digits
with their holes (in red), and what :class:`skae.AutoencoderImputer`,
:class:`~sklearn.impute.KNNImputer` and :class:`~sklearn.impute.IterativeImputer` make of them;
the error printed is the root mean squared error on the hidden pixels only (intensities in
[0, 1]). The :class:`~sklearn.impute.IterativeImputer` models each pixel from its 40 most
correlated pixels (``n_nearest_features=40``) for 3 rounds, which keeps it to a few minutes on
784 pixels; ``benchmarks/bench_impute.py`` compares the imputers on more data and masks.

Run from the repository root with ``SKAE_DATA`` naming your data home, e.g.
``SKAE_DATA=/path/to/data python examples/applications/plot_inpainting_mnist.py``.
"""

# %%
# Load MNIST and make the holes. The same random generator draws the holes of the training
# and the test images.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer

from skae import AutoencoderImputer
from skae.datasets import load_mnist
from skae.plotting import show_or_save

torch.set_num_threads(1)
X_train, _ = load_mnist(subset="train", return_X_y=True)
X_test, _ = load_mnist(subset="test", return_X_y=True)
X_train, X_test = X_train[:5_000] / 255.0, X_test[:1_000] / 255.0
rng = np.random.default_rng(0)


def block_holes(n, side=12, width=28):
    """A random ``side x side`` square of each ``width x width`` image."""
    holes = np.zeros((n, width, width), dtype=bool)
    top, left = rng.integers(0, width - side + 1, (2, n))
    for i in range(n):
        holes[i, top[i]:top[i] + side, left[i]:left[i] + side] = True
    return holes.reshape(n, -1)


def random_holes(n, rate=0.5):
    return rng.random((n, 784)) < rate


patterns = {
    "12x12 block hidden": block_holes,
    "50% of the pixels missing at random": random_holes,
}

# %%
# Fit each imputer on the training images with holes and fill in the test images. The
# AutoencoderImputer trains its five networks (``n_networks=5``, whose predictions it averages)
# for 20 epochs here (its default is 200). On images (784 features) its defaults give each
# network two hidden layers and hide groups of correlated pixels in some training rows, so
# that it also learns to fill holes whose neighbours are missing.
imputers = {
    "AutoencoderImputer": lambda: AutoencoderImputer(max_iter=20, random_state=0),
    "KNNImputer": lambda: KNNImputer(),
    "IterativeImputer": lambda: IterativeImputer(n_nearest_features=40, max_iter=3,
                                                 random_state=0),
}
results = {}
for pattern, make_holes in patterns.items():
    hidden_train, hidden_test = make_holes(len(X_train)), make_holes(len(X_test))
    with_holes = np.where(hidden_test, np.nan, X_test)
    filled = {}
    for name, make in imputers.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            imputer = make().fit(np.where(hidden_train, np.nan, X_train))
        filled[name] = imputer.transform(with_holes)
        error = np.sqrt(np.mean((filled[name] - X_test)[hidden_test] ** 2))
        print(f"{pattern:<38} {name:<20} RMSE on hidden pixels {error:.4f} "
              f"({time.perf_counter() - start:.0f} s)")
    results[pattern] = hidden_test, filled


# %%
# The figure: one panel of rows per kind of hole, the same eight test digits in each.
#
# What to look for: where a whole block is hidden, a stroke has to be guessed from the shape
# of the rest of the digit, and the autoencoder, which has learned what digits look like,
# draws the most plausible strokes and has the lowest error (0.263 against about 0.30 for
# the other two); the nearest neighbours paste in strokes of other digits and the iterative
# imputer smears grey into the block. Where half the pixels are missing at random, every hole
# has observed neighbours, and interpolating from them, which the iterative imputer's linear
# models of correlated pixels do, is hard to beat: with 20 epochs the autoencoder beats the
# nearest neighbours (0.152 against 0.172), whose copied pixels leave speckles, but not the
# iterative imputer (0.140). ``benchmarks/bench_impute.py`` compares them trained longer,
# on more masks.
def show(ax, image, hidden=None):
    rgb = np.repeat(np.clip(image, 0, 1).reshape(28, 28, 1), 3, axis=2)
    if hidden is not None:
        rgb[hidden.reshape(28, 28)] = (0.8, 0.1, 0.1)
    ax.imshow(rgb, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


n_images = 8
fig, axes = plt.subplots(2 * 5, n_images, figsize=(n_images * 1.1, 2 * 5 * 1.15 + 0.8))
for p, (pattern, (hidden_test, filled)) in enumerate(results.items()):
    rows = {"original": X_test, "with holes": None, **filled}
    for r, (label, images) in enumerate(rows.items()):
        for i in range(n_images):
            ax = axes[5 * p + r, i]
            if images is None:
                show(ax, X_test[i], hidden_test[i])
            else:
                show(ax, images[i])
        if label in filled:
            error = np.sqrt(np.mean((filled[label] - X_test)[hidden_test] ** 2))
            label = f"{label}\nRMSE {error:.3f}"
        axes[5 * p + r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    axes[5 * p, n_images // 2].set_title(pattern, loc="center", fontsize=11, x=0.0)
fig.suptitle("Inpainting MNIST test digits (RMSE on the hidden pixels, intensities in [0, 1])",
             fontsize=11)
fig.subplots_adjust(left=0.2, right=0.99, top=0.94, bottom=0.01, hspace=0.25, wspace=0.05)
show_or_save()
