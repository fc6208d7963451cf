"""
Finding planted Fashion-MNIST images among MNIST digits
=======================================================

:class:`skae.AutoencoderOutlierDetector` ranks the samples of a data set by how badly small
autoencoders trained on that same data reconstruct them. Here the data are 5,000 MNIST digits
with 50 Fashion-MNIST images (1%: shirts, shoes, bags...) planted among them, and nothing
tells the detector which are which: it is fitted on the contaminated set, as it would be on
real data, and asked for the most abnormal images of that set.

The detector has its default settings (chosen on the ODDS benchmark sets, see
``benchmarks/bench_outliers.py``); :class:`~sklearn.ensemble.IsolationForest` with its defaults
ranks the same images for comparison.

Run from the repository root with ``SKAE_DATA`` naming your data home, e.g.
``SKAE_DATA=/path/to/data python examples/applications/plot_outliers_mnist.py``.
"""

# %%
# 5,000 MNIST training digits and 50 Fashion-MNIST training images, pixels scaled to [0, 1].
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

from skae import AutoencoderOutlierDetector
from skae.datasets import load_fashion_mnist, load_mnist
from skae.plotting import show_or_save

torch.set_num_threads(1)
rng = np.random.default_rng(0)
digits, _ = load_mnist(subset="train", return_X_y=True)
fashion, fashion_labels = load_fashion_mnist(subset="train", return_X_y=True)
picked = rng.choice(len(fashion), 50, replace=False)
X = np.vstack([digits[rng.choice(len(digits), 5_000, replace=False)],
               fashion[picked]]) / 255.0
planted = np.r_[np.zeros(5_000, dtype=bool), np.ones(50, dtype=bool)]
print(f"{len(X)} images, {planted.sum()} of them planted")

# %%
# Fit on the whole set and score it. ``score_samples`` is the opposite of each image's
# normalised reconstruction error: the lower, the more abnormal.
t0 = time.perf_counter()
detector = AutoencoderOutlierDetector(random_state=0).fit(X)
fit_seconds = time.perf_counter() - t0
abnormality = -detector.score_samples(X)
forest = IsolationForest(random_state=0).fit(X)
forest_abnormality = -forest.score_samples(X)

for name, score in [("AutoencoderOutlierDetector", abnormality),
                    ("IsolationForest", forest_abnormality)]:
    top50 = np.argsort(-score)[:50]
    print(f"{name:<27} ROC-AUC {roc_auc_score(planted, score):.3f}  "
          f"AP {average_precision_score(planted, score):.3f}  "
          f"planted images among the 50 most abnormal: {planted[top50].sum()}")
print(f"fit: {fit_seconds:.1f} s on one thread")

# %%
# ``predict`` flags the images whose error lies beyond Tukey's "far out" fence of the
# training errors (``contamination="auto"``). Pixel errors are heavy-tailed, so the fence
# flags many digits too; where the share of outliers is known, ``contamination`` sets it.
flagged = detector.predict(X) == -1
print(f"contamination='auto' flags {flagged.sum()} images, {planted[flagged].sum()} of the "
      "50 planted ones")
known = AutoencoderOutlierDetector(contamination=0.01, random_state=0).fit(X)
flagged = known.predict(X) == -1
print(f"contamination=0.01 flags {flagged.sum()} images, {planted[flagged].sum()} of the "
      "50 planted ones")

# %%
# The distribution of the scores, and the 40 most abnormal images, most abnormal first: the
# planted images are framed in red, with their Fashion-MNIST class.
classes = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Boot")
fashion_class = dict(zip(np.flatnonzero(planted), fashion_labels[picked]))

fig = plt.figure(figsize=(10, 7.5), layout="constrained")
top_fig, bottom_fig = fig.subfigures(2, 1, height_ratios=[1, 2.1])
ax = top_fig.subplots()
bins = np.logspace(np.log10(abnormality.min()), np.log10(abnormality.max()), 60)
ax.hist(abnormality[~planted], bins=bins, color="tab:blue", alpha=0.7,
        label="MNIST digits (5,000)")
ax.hist(abnormality[planted], bins=bins, color="tab:red", alpha=0.8,
        label="planted Fashion-MNIST images (50)")
ax.axvline(-detector.offset_, color="k", linestyle="--", label="offset_ (contamination='auto')")
ax.set_xscale("log")
ax.set_yscale("log")  # the 50 planted images next to 5,000 digits
ax.set_xlabel("normalised reconstruction error  (-score_samples)")
ax.set_ylabel("images")
ax.set_title("AutoencoderOutlierDetector fitted on digits with 1% planted images")
ax.legend(fontsize=8)

axes = bottom_fig.subplots(4, 10)
for rank, (i, ax) in enumerate(zip(np.argsort(-abnormality)[:40], axes.ravel()), start=1):
    ax.imshow(X[i].reshape(28, 28), cmap="gray_r")
    ax.set_xticks([])
    ax.set_yticks([])
    if planted[i]:
        for side in ax.spines.values():
            side.set(color="tab:red", linewidth=2.5)
        ax.set_title(f"{rank}. {classes[fashion_class[i]]}", fontsize=7, color="tab:red")
    else:
        ax.set_title(f"{rank}. digit", fontsize=7)
bottom_fig.suptitle("The 40 most abnormal images (planted ones in red)", fontsize=10)
show_or_save()
