"""
Denoising digits
================

A :class:`skae.DenoisingAutoencoder` sees a freshly corrupted copy of every training minibatch
and learns to reconstruct the clean digit (Vincent et al., 2008). Here it is trained with
masking noise (30% of the pixels set to 0) and with Gaussian noise, and compared with a plain
:class:`skae.Autoencoder` of the same size at cleaning test digits it has never seen.
"""

# %%
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skae import Autoencoder, DenoisingAutoencoder
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
rng = np.random.default_rng(0)
noisy = {
    "masking 30%": X_test * (rng.random(X_test.shape) >= 0.3),
    "gaussian 0.3": X_test + 0.3 * rng.standard_normal(X_test.shape),
}

# Trained until the loss stops improving (scikit-learn's rule: ``tol``, ``n_iter_no_change``).
settings = dict(n_components=32, hidden_layer_sizes=(64,), max_iter=1000, random_state=0)
models = {
    "Autoencoder": Autoencoder(**settings),
    "DAE masking": DenoisingAutoencoder(noise="masking", noise_level=0.3, **settings),
    "DAE gaussian": DenoisingAutoencoder(noise="gaussian", noise_level=0.3, **settings),
}
for name, model in models.items():
    model.fit(X_train)
    print(f"{name}: {model.n_iter_} epochs")


def mse(images):
    """Mean squared error to the clean test digits."""
    return np.mean((images - X_test) ** 2)


# %%
# Mean squared error between the reconstruction of the noisy test digits and the clean ones.
# Each denoising autoencoder cleans its own kind of noise best; the plain autoencoder, trained
# to copy its input, copies much of the noise.
print(f"{'model':<14}" + "".join(f"{k:>14}" for k in noisy) + f"{'clean input':>14}")
print(f"{'(no model)':<14}" + "".join(f"{mse(v):>14.4f}" for v in noisy.values())
      + f"{0:>14.4f}")
for name, model in models.items():
    errs = [mse(model.reconstruct(v)) for v in noisy.values()]
    print(f"{name:<14}" + "".join(f"{e:>14.4f}" for e in errs) + f"{-model.score(X_test):>14.4f}")

# %%
# Eight test digits, their noisy versions, and what each model makes of the noisy ones. One
# grey scale, [0, 1], for every image (Gaussian noise beyond it is clipped), so a row that
# looks cleaner is cleaner; the number is each row's error to the clean digits.
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import show_or_save  # noqa: E402

rows = [("clean", X_test)]
for kind, dae in [("masking 30%", "DAE masking"), ("gaussian 0.3", "DAE gaussian")]:
    rows += [(f"{kind} noise", noisy[kind]),  # the input both models get
             ("Autoencoder", models["Autoencoder"].reconstruct(noisy[kind])),
             (dae.replace("DAE", "denoising AE,"), models[dae].reconstruct(noisy[kind]))]
n_images = 8
fig, axes = plt.subplots(len(rows), n_images, figsize=(0.8 * n_images + 2.2, 0.9 * len(rows)),
                         layout="constrained")
for (label, images), ax_row in zip(rows, axes, strict=True):
    for image, ax in zip(images[:n_images], ax_row, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    error = "" if label == "clean" else f"\nMSE {mse(images):.4f}"
    ax_row[0].set_ylabel(label + error, rotation=0, ha="right", va="center", labelpad=8)
fig.suptitle("Denoising unseen test digits: masking noise (rows 2-4), Gaussian noise (5-7)")
show_or_save()
