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
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skae import Autoencoder, DenoisingAutoencoder

torch.set_num_threads(1)
X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
rng = np.random.default_rng(0)
noisy = {
    "masking 30%": X_test * (rng.random(X_test.shape) >= 0.3),
    "gaussian 0.3": X_test + 0.3 * rng.standard_normal(X_test.shape),
}

settings = dict(n_components=32, hidden_layer_sizes=(64,), max_iter=60, random_state=0)
models = {
    "Autoencoder": Autoencoder(**settings),
    "DAE masking": DenoisingAutoencoder(noise="masking", noise_level=0.3, **settings),
    "DAE gaussian": DenoisingAutoencoder(noise="gaussian", noise_level=0.3, **settings),
}
for model in models.values():
    model.fit(X_train)

# %%
# Mean squared error between the reconstruction of the noisy test digits and the clean ones.
print(f"{'model':<14}" + "".join(f"{k:>14}" for k in noisy) + f"{'clean input':>14}")
print(f"{'(no model)':<14}" + "".join(f"{np.mean((v - X_test) ** 2):>14.4f}"
                                      for v in noisy.values()) + f"{0:>14.4f}")
for name, model in models.items():
    errs = [np.mean((model.reconstruct(v) - X_test) ** 2) for v in noisy.values()]
    print(f"{name:<14}" + "".join(f"{e:>14.4f}" for e in errs) + f"{-model.score(X_test):>14.4f}")

# %%
# Originals, their noisy versions, and what the masking DAE makes of them.
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import plot_reconstructions  # noqa: E402

plot_reconstructions(models["DAE masking"], X_test, X_noisy=noisy["masking 30%"], n_images=10)
plot_reconstructions(models["Autoencoder"], X_test, X_noisy=noisy["masking 30%"], n_images=10)
plt.show()
