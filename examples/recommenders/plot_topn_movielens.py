"""
Top-N recommendation for new users on MovieLens 100K
====================================================

Four autoencoder recommenders — :class:`skae.EASE` (closed form), :class:`skae.MultVAE`,
:class:`skae.MultDAE` and :class:`skae.CDAE` — are trained on the movies that 80% of the users
liked (ratings >= 4). The other 20% are *new* users: each shows the model 80% of their liked
movies (folded in, no retraining) and we check whether the hidden 20% come out on top, the
strong-generalization protocol of Liang et al. (WWW 2018). A popularity ranking is the baseline.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skae import CDAE, EASE, MultDAE, MultVAE
from skae.datasets import load_movielens
from skae.metrics import ndcg_at_k, recall_at_k
from skae.model_selection import strong_generalization_split
from skae.plotting import show_or_save
from skae.recommenders import interaction_matrix
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
ratings = load_movielens("100k")
# The user x movie matrix of the liked movies (ratings >= 4), and the ids of its rows and columns.
X, user_ids, movie_ids = interaction_matrix(ratings, rating="rating", threshold=4)
X_train, X_foldin, X_holdout = strong_generalization_split(X, test_size=0.2, random_state=0)
print(f"{X_train.shape[0]} training users, {X_foldin.shape[0]} new users, {X.shape[1]} movies")

# %%
# Small networks keep this example fast; ``benchmarks/bench_topn.py`` runs the papers'
# settings. Trained to convergence on their training loss, these models overfit the training
# users: Mult-VAE and Mult-DAE stop early instead, when their loss on 10% of the training
# users held out stops improving, and keep the weights of their best epoch. CDAE stops once
# its loss (in nats per user, about 80) improves by less than one nat in 5 epochs.
small = dict(n_components=64, hidden_layer_sizes=(256,), early_stopping=True, batch_size=128,
             random_state=0)
models = {
    "EASE": EASE(alpha=200.0),
    "MultVAE": MultVAE(**small),
    "MultDAE": MultDAE(**small),
    "CDAE": CDAE(n_components=50, tol=1.0, n_iter_no_change=5, batch_size=64,
                 learning_rate_init=1e-2, random_state=0),
}


def unseen(scores):
    """Already-liked movies can't be recommended: rank them last."""
    scores = np.array(scores, dtype=np.float64)
    scores[X_foldin.nonzero()] = -np.inf
    return scores


results = {"Popularity": unseen(np.tile(np.asarray(X_train.sum(axis=0)), (X_foldin.shape[0], 1)))}
for name, model in models.items():
    model.fit(X_train)
    results[name] = unseen(model.predict_scores(X_foldin))
    if hasattr(model, "n_iter_"):
        print(f"{name}: {model.n_iter_} epochs")

for name, scores in results.items():
    print(f"{name:<11} Recall@20 {recall_at_k(X_holdout, scores, k=20):.3f}   "
          f"NDCG@100 {ndcg_at_k(X_holdout, scores, k=100):.3f}")

# %%
# Recall at growing cut-offs: every autoencoder ranks the hidden movies well above popularity.
# This is the recall of Liang et al. (2018): the hidden movies found in the top k, divided by
# ``min(k, number of hidden movies)``, so that a perfect ranking scores 1 at every k. From
# k = 5 to k = 10 that denominator doubles for every new user with 10 or more hidden movies,
# while the movies found grow by less: the curves dip there although no model finds fewer.
n_hidden = X_holdout.getnnz(axis=1)
print(f"new users with 10 or more hidden movies: {np.mean(n_hidden >= 10):.0%}")
ks = [5, 10, 20, 50, 100]
fig, ax = plt.subplots(figsize=(6, 4))
for name, scores in results.items():
    ax.plot(ks, [recall_at_k(X_holdout, scores, k=k) for k in ks], marker="o", label=name)
ax.set_xscale("log")
ax.set_xticks(ks, [str(k) for k in ks])
ax.minorticks_off()
ax.set(xlabel="k (length of the recommendation list)", ylabel="Recall@k (new users)",
       title="Hidden movies of new users found in the top k")
ax.legend()
fig.tight_layout()

# %%
# Recommending to a new user is one call; the user's own movies are excluded.
top = models["EASE"].recommend(X_foldin[:1], n=5)
print("EASE's top 5 movie columns for the first new user:", top[0])
show_or_save()
