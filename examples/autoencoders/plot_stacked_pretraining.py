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

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
settings = dict(n_components=16, hidden_layer_sizes=(128, 64), max_iter=20, tol=0,
                random_state=0)
stacked = StackedAutoencoder(
    pretrain_estimator=DenoisingAutoencoder(noise="masking", noise_level=0.2, max_iter=20),
    **settings).fit(X_train)
scratch = StackedAutoencoder(pretrain=None, **settings).fit(X_train)
print(f"reconstruction MSE after {settings['max_iter']} fine-tuning epochs: "
      f"greedy {-stacked.score(X_test):.4f}, random init {-scratch.score(X_test):.4f}")
print("pretrained levels:", [type(e).__name__ for e in stacked.estimators_])

# %%
# Supervised fine-tuning with only 10 labelled digits per class.
rng = np.random.default_rng(0)
few = np.concatenate([rng.choice(np.flatnonzero(y_train == c), 10, replace=False)
                      for c in range(10)])


def train_classifier(encoder, epochs=100, seed=0):
    torch.manual_seed(seed)  # this example's own script: the head's initialisation
    net = nn.Sequential(encoder, nn.Linear(16, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xb, yb = torch.from_numpy(X_train[few]), torch.from_numpy(y_train[few])
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(net(xb), yb).backward()
        opt.step()
    with torch.no_grad():
        pred = net(torch.from_numpy(X_test)).argmax(1).numpy()
    return np.mean(pred == y_test)


pretrained = train_classifier(stacked.export_encoder())
torch.manual_seed(0)
random_encoder = nn.Sequential(  # the same architecture, untrained
    nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16), nn.ReLU())
print(f"test accuracy with 100 labels: pretrained encoder {pretrained:.3f}, "
      f"random encoder {train_classifier(random_encoder):.3f}")

# %%
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import plot_filters, plot_loss_curve  # noqa: E402

plot_loss_curve({"greedy": stacked, "random init": scratch}, log_scale=True)
plot_filters(stacked, n_filters=64)
plt.show()
