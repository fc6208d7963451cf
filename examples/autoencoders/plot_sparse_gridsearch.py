"""
Sparse codes, chosen by cross-validation
========================================

The design card's usage: a :class:`skae.SparseAutoencoder` inside a scikit-learn ``Pipeline``
in front of a support vector classifier, its code size chosen by ``GridSearchCV`` on the
digits. Then a look at what the L1 penalty ``Omega(h) = sum_k |h_k|`` does to the code, and to
what each unit draws, next to a plain :class:`skae.Autoencoder` trained with the same settings.
"""

# %%
# Grid search over the code size.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skae import Autoencoder, SparseAutoencoder
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
# Every model here trains until its loss stops improving. A small L2 penalty (``alpha``)
# fades the weights of pixels that are blank in every digit (the image border), which would
# otherwise keep their random start and hide the learned filters below.
settings = dict(learning_rate_init=1e-2, alpha=1e-4, max_iter=1000, random_state=0)
pipe = Pipeline([("ae", SparseAutoencoder(sparsity_weight=1e-2, **settings)), ("clf", SVC())])
search = GridSearchCV(pipe, {"ae__n_components": [8, 16, 32]}, cv=3).fit(X_train, y_train)
for size, score in zip(search.cv_results_["param_ae__n_components"],
                       search.cv_results_["mean_test_score"], strict=True):
    print(f"n_components={size:>3}: cross-validated accuracy {score:.3f}")
print(f"best {search.best_params_}, test accuracy {search.score(X_test, y_test):.3f}")

# %%
# How sparse is the code? The same network, seed and settings, with and without the penalty.
models = {
    "Autoencoder": Autoencoder(n_components=32, **settings).fit(X_train),
    "SparseAutoencoder": SparseAutoencoder(n_components=32, sparsity_weight=1e-2,
                                           **settings).fit(X_train),
}
codes = {name: model.transform(X_test) for name, model in models.items()}
print(f"{'model':<18} {'mean |h|':>9} {'h = 0':>7} {'test MSE':>9}")
for name, model in models.items():
    H = codes[name]
    print(f"{name:<18} {np.abs(H).mean():>9.3f} {np.mean(H == 0):>7.1%} "
          f"{-model.score(X_test):>9.4f}")

# %%
# The codes of 40 test digits, one row each (white is 0). The plain autoencoder uses almost
# every unit for every digit; with the penalty, each digit is described by a few units, at
# the price of a somewhat larger reconstruction error.
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import show_or_save  # noqa: E402

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
vmax = max(float(H[:40].max()) for H in codes.values())
for ax, (name, H) in zip(axes, codes.items(), strict=True):
    image = ax.imshow(H[:40], aspect="auto", cmap="gray_r", vmin=0, vmax=vmax,
                      interpolation="nearest")
    ax.set(title=f"{name}: {np.mean(H == 0):.0%} of the code is 0", xlabel="code unit")
axes[0].set_ylabel("test digit")
fig.colorbar(image, ax=axes, label="activation h")
show_or_save()

# %%
# What the active units draw. The decoder is linear, so a reconstruction is the output bias
# plus one image per unit, ``h_k`` times unit ``k``'s decoder weights. Below, three test
# digits and the four largest of these images (red adds ink, blue removes it). In the sparse
# autoencoder a few units each draw a large part of the digit; in the plain one, many units
# draw pieces that partly cancel one another.
n_parts, shown = 4, [0, 1, 2]
fig = plt.figure(figsize=(7.5, 8), layout="constrained")
for subfig, (name, model) in zip(fig.subfigures(2, 1, hspace=0.04), models.items(),
                                 strict=True):
    decoder = model.module_.decoder_layers[0].weight.detach().numpy().T  # (units, pixels)
    parts = codes[name][:, :, None] * decoder[None]  # (digits, units, pixels)
    drawn = parts.sum(axis=1)
    largest = np.argsort(-np.linalg.norm(parts, axis=2), axis=1)[:, :n_parts]
    # Share of sum_k h_k d_k that the n_parts largest terms account for, over all test digits.
    rest = drawn - np.take_along_axis(parts, largest[:, :, None], axis=1).sum(axis=1)
    share = 1 - np.sum(rest**2) / np.sum(drawn**2)
    subfig.suptitle(f"{name}: the {n_parts} largest units draw {share:.0%} of the code's "
                    "image")
    axes = subfig.subplots(len(shown), n_parts + 2)
    for row, i in zip(axes, shown, strict=True):
        row[0].imshow(X_test[i].reshape(8, 8), cmap="gray", vmin=0, vmax=1)
        row[1].imshow(model.reconstruct(X_test[i:i + 1]).reshape(8, 8), cmap="gray",
                      vmin=0, vmax=1)
        lim = np.abs(parts[i, largest[i]]).max()
        for ax, k in zip(row[2:], largest[i], strict=True):
            ax.imshow(parts[i, k].reshape(8, 8), cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"unit {k}", fontsize="small")
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("test digit", fontsize="small")
    axes[0, 1].set_title("reconstruction", fontsize="small")
show_or_save()
