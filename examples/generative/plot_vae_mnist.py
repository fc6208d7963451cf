"""
A variational autoencoder on MNIST: samples, latent map, reconstructions, likelihoods
=====================================================================================

A :class:`skae.VariationalAutoencoder` learns a 2-D latent space of handwritten digits.
Because it is a generative model with a likelihood bound, it can

- generate new digits from the prior (:meth:`~skae.VariationalAutoencoder.sample`),
- place digits on a map (:meth:`~skae.VariationalAutoencoder.transform`, the posterior mean),
- reconstruct them (:meth:`~skae.VariationalAutoencoder.inverse_transform`),
- and score them: :meth:`~skae.VariationalAutoencoder.score_samples` is a lower bound on
  ``log p(x)`` in nats, which tells digits apart from Fashion-MNIST clothes it never saw.

Small on purpose (10,000 training images, a 2-D code): it runs in under a minute on one CPU
core. Run from the repository root with ``SKAE_DATA`` naming your data home, e.g.
``SKAE_DATA=/path/to/data python examples/generative/plot_vae_mnist.py``.
"""

# %%
# Load MNIST from the data home and scale the pixels to [0, 1].
import matplotlib.pyplot as plt
import numpy as np

from skae import VariationalAutoencoder
from skae.datasets import load_fashion_mnist, load_mnist
from skae.plotting import plot_latent_map, plot_reconstructions, plot_samples, show_or_save
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
X_train, _ = load_mnist(subset="train", return_X_y=True)
X_test, y_test = load_mnist(subset="test", return_X_y=True)
F_test, _ = load_fashion_mnist(subset="test", return_X_y=True)
X_train = (X_train[:10_000] / 255.0).astype(np.float32)
X_test, y_test = (X_test[:2_000] / 255.0).astype(np.float32), y_test[:2_000]
F_test = (F_test[:2_000] / 255.0).astype(np.float32)

# %%
# Fit a 784-256-2 VAE. The default ``likelihood="auto"`` sees pixels in [0, 1] and picks a
# Bernoulli decoder. The loss curve is the negative ELBO per image, in nats; training stops
# once it improves by less than ``tol=0.5`` nats for 3 epochs in a row.
vae = VariationalAutoencoder(n_components=2, hidden_layer_sizes=(256,), batch_size=100,
                             max_iter=100, tol=0.5, n_iter_no_change=3, random_state=0)
vae.fit(X_train)
print(f"likelihood: {vae.likelihood_}; {vae.n_iter_} epochs")
print(f"training loss (negative ELBO) per epoch: {np.round(vae.loss_curve_, 1)}")

# %%
# Samples from the prior: decode ``z ~ N(0, I)`` to pixel probabilities.
plot_samples(vae, 64, random_state=0)

# %%
# The latent map: posterior means of test digits, coloured by their label.
_, ax = plt.subplots(figsize=(6, 6))
plot_latent_map(vae, X_test, y_test, ax=ax, alpha=0.6)
ax.set_title("Posterior means of 2,000 test digits")

# %%
# Reconstructions: test digits (top) and the decoder's mean at their posterior means (bottom).
# With a 2-D code only the rough shape of each digit survives.
fig = plot_reconstructions(vae, X_test, n_images=10)
for ax, label in zip(fig.axes[::10], ["test digit", "decoded"], strict=True):
    ax.set_ylabel(label, rotation=0, ha="right", va="center")
fig.suptitle("Test digits and their reconstructions through the 2-D code")
fig.subplots_adjust(left=0.12)

# %%
# Likelihoods: the ELBO, and the tighter importance-weighted bound with 100 posterior draws
# (Burda et al., 2016). Images of clothes get a much lower bound than unseen digits.
elbo_digits = vae.score(X_test)
vae.set_params(n_draws=100)
iwae_digits, iwae_fashion = vae.score_samples(X_test), vae.score_samples(F_test)
print(f"MNIST test: ELBO {elbo_digits:.1f}, IWAE(k=100) {iwae_digits.mean():.1f} nats per image")
print(f"Fashion-MNIST test: IWAE(k=100) {iwae_fashion.mean():.1f} nats per image")

_, ax = plt.subplots()
bins = np.linspace(min(iwae_digits.min(), iwae_fashion.min()), 0, 60)
ax.hist(iwae_digits, bins=bins, alpha=0.6, label="MNIST test digits (in distribution)")
ax.hist(iwae_fashion, bins=bins, alpha=0.6, label="Fashion-MNIST (never seen)")
ax.set(xlabel="log-likelihood bound, IWAE k=100 (nats per image)", ylabel="images",
       title="The VAE's likelihood separates digits from clothes")
ax.legend()
show_or_save()
