"""
Rating prediction on MovieLens 100K with AutoRec
================================================

:class:`skae.AutoRecRegressor` learns an autoencoder on each item's partially known vector of
user ratings (I-AutoRec, Sedhain et al., WWW 2015); only the observed ratings count in the loss.
It is a regressor on ``(user id, item id) -> rating`` pairs, so it is scored, cross-validated
and grid-searched like any scikit-learn regressor.

Here it is trained on the distribution's fold ``u1`` of MovieLens 100K with early stopping on
10% of the training *ratings*, and compared with predicting each item's mean rating and with
the paper's plain L2 penalty (``shrink_toward="zero"``), by how many ratings a user has.
"""

# %%
import numpy as np
import pandas as pd
from sklearn.metrics import root_mean_squared_error

from skae import AutoRecRegressor
from skae.datasets import load_movielens
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
train, test = load_movielens("100k", split="u1")
X_train, y_train = train[["user", "item"]], train["rating"].to_numpy(float)
X_test, y_test = test[["user", "item"]], test["rating"].to_numpy(float)

model = AutoRecRegressor(n_components=500, alpha=3e-3, max_iter=60, early_stopping=True,
                         n_iter_no_change=10, random_state=0)
model.fit(X_train, y_train)

item_means = train.groupby("item")["rating"].mean()
baseline = test["item"].map(item_means).fillna(y_train.mean())
print(f"item-mean baseline RMSE: {root_mean_squared_error(y_test, baseline):.4f}")
print(f"I-AutoRec RMSE:          {root_mean_squared_error(y_test, model.predict(X_test)):.4f}"
      f"  ({model.n_iter_} epochs)")

# %%
# Users or items that were not in the training data get a baseline instead of an error:
# the user's mean rating, the item's mean rating, or the global mean.
pairs = pd.DataFrame({"user": [1, 1, 99999, 99999], "item": [1, 99999, 1, 99999]})
print(pairs.assign(predicted=model.predict(pairs).round(3)))

# %%
# Training loss (observed training ratings) and validation loss (held-out ratings, predicted
# from the remaining ones); the weights of the best validation epoch are kept.
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import show_or_save  # noqa: E402

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
epochs = np.arange(1, model.n_iter_ + 1)
ax1.plot(epochs, np.sqrt(model.loss_curve_), label="training")
ax1.plot(epochs, np.sqrt(model.validation_loss_curve_), label="validation (held-out ratings)")
ax1.set(xlabel="epoch", ylabel="RMSE", title="I-AutoRec on MovieLens 100K u1")
ax1.legend()
pred = model.predict(X_test)
for rating in range(1, 6):
    ax2.hist(pred[y_test == rating], bins=40, range=(1, 5), histtype="step", label=f"true {rating}")
ax2.set(xlabel="predicted rating", ylabel="test pairs", title="Predictions by true rating")
ax2.legend()
plt.tight_layout()
show_or_save()

# %%
# Users with few ratings. In I-AutoRec a user is an output unit with its own decoder weights.
# The paper's penalty shrinks them toward zero, so a user with few training ratings is
# predicted close to their mean rating whatever the item. The default
# ``shrink_toward="mean"`` shrinks them toward the weights shared by all users instead, which
# keeps what the item's code says about the item. The gap is largest for the lightest users.
plain = AutoRecRegressor(n_components=500, alpha=3e-3, max_iter=60, early_stopping=True,
                         n_iter_no_change=10, shrink_toward="zero", random_state=0)
plain.fit(X_train, y_train)
print(f"I-AutoRec, shrink_toward='zero': "
      f"{root_mean_squared_error(y_test, plain.predict(X_test)):.4f}")

counts = test["user"].map(train["user"].value_counts()).fillna(0).to_numpy()
bins = [0, 20, 40, 80, 160, np.inf]
labels = ["<20", "20-39", "40-79", "80-159", ">=160"]
group = np.digitize(counts, bins[1:-1])
errors = {name: (m.predict(X_test) - y_test) ** 2 for name, m in
          [("shrink_toward='mean' (default)", model), ("shrink_toward='zero' (paper)", plain)]}
fig, ax = plt.subplots(figsize=(7, 4))
width = 0.4
for k, (name, sq) in enumerate(errors.items()):
    rmse_by_group = [np.sqrt(sq[group == g].mean()) for g in range(len(labels))]
    ax.bar(np.arange(len(labels)) + (k - 0.5) * width, rmse_by_group, width, label=name)
ax.set_xticks(np.arange(len(labels)), [f"{lab}\n({np.sum(group == g)} pairs)"
                                       for g, lab in enumerate(labels)])
ax.set(xlabel="user's number of training ratings", ylabel="test RMSE", ylim=(0.7, None),
       title="I-AutoRec on u1.test by user activity")
ax.legend()
plt.tight_layout()
show_or_save()
