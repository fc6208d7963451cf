"""
Greedy pretraining, then a classifier on the exported encoder
=============================================================

The seed's "pre-training of deep neural networks" application. A
:class:`skae.StackedAutoencoder` trains a deep encoder level by level, each level a
:class:`skae.DenoisingAutoencoder` on the code of the level below (Vincent et al., 2010), and
fine-tunes the whole autoencoder end to end. :meth:`~skae.StackedAutoencoder.export_encoder`
hands the fine-tuned encoder over as a plain ``torch.nn.Module``; a linear classifier head is
put on top and the whole network is trained briefly on a few labels, next to the same network
started from random weights.
"""

# %%
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from skae import DenoisingAutoencoder, StackedAutoencoder
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
# Each level is pretrained for a fixed 20 epochs; fine-tuning runs until the loss stops
# improving (scikit-learn's rule: ``tol``, ``n_iter_no_change``), from either start.
settings = dict(n_components=16, hidden_layer_sizes=(128, 64), max_iter=1000, random_state=0)
stacked = StackedAutoencoder(
    pretrain_estimator=DenoisingAutoencoder(noise="masking", noise_level=0.2, max_iter=20),
    **settings).fit(X_train)
scratch = StackedAutoencoder(pretrain=None, **settings).fit(X_train)
print("pretrained levels:", [type(e).__name__ for e in stacked.estimators_])
for name, model in [("greedy", stacked), ("random init", scratch)]:
    print(f"{name:<12} fine-tuned for {model.n_iter_:>3} epochs, "
          f"test reconstruction MSE {-model.score(X_test):.4f}")

# %%
# Supervised fine-tuning with only 10 labelled digits per class.
rng = np.random.default_rng(0)
few = np.concatenate([rng.choice(np.flatnonzero(y_train == c), 10, replace=False)
                      for c in range(10)])


def train_classifier(encoder, epochs=200, seed=0):
    """Train ``encoder`` and a linear head on the 100 labelled digits; test accuracy every
    10 epochs."""
    torch.manual_seed(seed)  # this example's own script: the head's initialisation
    net = nn.Sequential(encoder, nn.Linear(16, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xb, yb = torch.from_numpy(X_train[few]), torch.from_numpy(y_train[few])
    accuracy = []
    for epoch in range(1, epochs + 1):
        opt.zero_grad()
        nn.functional.cross_entropy(net(xb), yb).backward()
        opt.step()
        if epoch % 10 == 0:
            with torch.no_grad():
                pred = net(torch.from_numpy(X_test)).argmax(1).numpy()
            accuracy.append(np.mean(pred == y_test))
    return np.array(accuracy)


pretrained = train_classifier(stacked.export_encoder())
torch.manual_seed(0)
random_encoder = nn.Sequential(  # the same architecture, untrained
    nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16), nn.ReLU())
random = train_classifier(random_encoder)
print(f"test accuracy with 100 labels after 200 epochs: pretrained encoder {pretrained[-1]:.3f}, "
      f"random encoder {random[-1]:.3f}")

# %%
# Left: fine-tuning the whole autoencoder starts from a much lower reconstruction loss after
# greedy pretraining. Right: with only 100 labels, the classifier built on the pretrained
# encoder is more accurate than the same network started from random weights, all along.
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import plot_loss_curve, show_or_save  # noqa: E402

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
plot_loss_curve({"greedy pretraining": stacked, "random init": scratch}, log_scale=True,
                ax=ax1)
ax1.set(ylabel="training loss (MSE per pixel)", title="Fine-tuning the autoencoder")
epochs = 10 * np.arange(1, len(pretrained) + 1)
ax2.plot(epochs, pretrained, label="pretrained encoder")
ax2.plot(epochs, random, label="random encoder")
ax2.set(xlabel="epoch (100 labelled digits)", ylabel="test accuracy",
        title="Classifier on the encoder, 100 labels")
ax2.legend()
fig.tight_layout()
show_or_save()
