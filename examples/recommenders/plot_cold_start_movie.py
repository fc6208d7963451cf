"""
Recommending a brand-new movie from its genres with CDL
=======================================================

A movie that nobody has rated yet cannot be recommended by a model that only knows ratings.
:class:`skae.CDL` (collaborative deep learning, Wang, Wang & Yeung, KDD 2015) also reads what
is known of each movie — here its genres and release year from MovieLens 100K — through a
denoising autoencoder whose code is the movie's latent factor. A new movie then gets a factor
from its genres alone, and every user a score for it.

We train on the movies that users liked (ratings >= 4), describe a new movie by its genres,
find the users to show it to, and look at what the model learned about genres.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from skae import CDL
from skae.datasets import (
    load_movielens,
    load_movielens_items,
    load_movielens_users,
    make_movielens_transformer,
)
from skae.plotting import show_or_save
from skae.utils import limit_threads

# One thread: on a small or busy machine more threads wait on one another (see the user guide).
limit_threads(1)
ratings = load_movielens("100k")
movies, users = load_movielens_items("100k"), load_movielens_users("100k")
liked = ratings[ratings["rating"] >= 4]
# Users as rows, one column per movie of the catalogue, named by the movie's id.
X = pd.crosstab(liked["user"], liked["item"]).reindex(columns=movies.index, fill_value=0)
X.columns = X.columns.astype(str)
X = X.astype(np.float32)
print(f"{X.shape[0]} users, {X.shape[1]} movies, {int(X.to_numpy().sum())} liked")

# %%
# The side information becomes numbers through the recipe of :mod:`skae.datasets`: the 0/1
# genre flags and the standardised year. Indexed by the movie ids (the column names of
# ``X``), the table is looked up by id: its row order does not matter.
recipe = make_movielens_transformer("items")
features = pd.DataFrame(recipe.fit_transform(movies), index=X.columns)

# %%
# A small network keeps this example fast; ``benchmarks/bench_hybrid.py`` measures CDL against
# other models. Each epoch is one pass of the autoencoder over the movies, preceded by the
# closed-form updates of all user and movie factors; training stops when the objective no
# longer improves.
model = CDL(n_components=20, hidden_layer_sizes=(64,), batch_size=64, max_iter=60,
            random_state=0)
model.fit(X, item_features=features)
print(f"{model.n_iter_} epochs")

# %%
# A brand-new movie
# -----------------
# Nobody has rated it: all we know is that it is an animated children's comedy of 1998. We
# describe it like the catalogue (same columns) and pass it to ``predict_scores`` under a
# new id: it is scored next to the 1,682 catalogue movies, as an extra last column.
new_movie = pd.DataFrame(
    [{"title": "A New Animated Comedy", "year": 1998.0,
      **{g: int(g in ("Animation", "Children's", "Comedy")) for g in movies.columns[2:]}}])
new_features = pd.DataFrame(recipe.transform(new_movie), index=["new"])
scores = model.predict_scores(X, item_features=new_features)
new_score = scores[:, -1]
# Among the movies each user has not seen, where does the new one rank? As a percentile:
# 100% above every unseen movie, 0% below all of them.
unseen = np.where(X.to_numpy() > 0, np.nan, scores[:, :-1])


def percentile(new):
    """Share of each user's unseen catalogue movies that ``new`` (one score per user) beats."""
    return np.nanmean(unseen < new[:, None], axis=1)


fans = np.argsort(-new_score)[:100]
print(f"Median percentile of the new movie in the users' rankings: "
      f"{np.median(percentile(new_score)):.0%}")
ages = users.loc[X.index, "age"].to_numpy()
print(f"Mean age of the 100 users who score it highest: {ages[fans].mean():.1f} "
      f"(all users: {ages.mean():.1f})")

# %%
# Which catalogue movies did the model place closest to it? Cosine similarity of the latent
# factors: the new movie's factor comes from its genres only.
factors = np.vstack([model.item_factors_, model.encode_items(new_features)])
unit = factors / np.linalg.norm(factors, axis=1, keepdims=True)
nearest = np.argsort(-(unit[:-1] @ unit[-1]))[:5]
print("Closest catalogue movies:", "; ".join(movies["title"].iloc[nearest]))

# %%
# What the model learned about genres
# -----------------------------------
# Left: the latent factors of the catalogue movies (the first two principal components),
# coloured by three genres, with the new movie as a star. Right: the same question for a new
# movie of each single genre (released in 1998): how high do the users rank it among their
# unseen movies? A new movie has no popularity of its own yet, so it rarely reaches a top 20
# of 1,682 movies; its rank says what the model expects of its genre.
genres = list(movies.columns[2:])
single = pd.DataFrame([{"title": "", "year": 1998.0, **{g: int(g == genre) for g in genres}}
                       for genre in genres])
single_features = pd.DataFrame(recipe.transform(single), index=[f"only {g}" for g in genres])
single_scores = model.predict_scores(X, item_features=single_features)
share = [np.median(percentile(single_scores[:, len(movies) + k])) for k in range(len(genres))]

pca = PCA(n_components=2).fit(model.item_factors_)
xy, new_xy = pca.transform(model.item_factors_), pca.transform(factors[-1:])[0]
fig, (ax_map, ax_bar) = plt.subplots(1, 2, figsize=(12, 5), width_ratios=(1.1, 1))
ax_map.scatter(*xy.T, s=6, c="lightgray", label="other movies")
for genre, color in (("Children's", "tab:orange"), ("Horror", "tab:purple"),
                     ("Documentary", "tab:green")):
    mask = movies[genre].to_numpy() == 1
    ax_map.scatter(*xy[mask].T, s=10, c=color, label=genre)
ax_map.scatter(*new_xy, marker="*", s=350, c="red", edgecolor="black",
               label="new animated children's comedy", zorder=3)
ax_map.set(title="Learned movie factors (PCA); the new movie from its genres alone",
           xlabel="first principal component", ylabel="second principal component")
ax_map.legend(loc="best", fontsize=8)
order = np.argsort(share)
ax_bar.barh(np.array(genres)[order], np.array(share)[order], color="tab:blue")
ax_bar.axvline(np.median(percentile(new_score)), color="red", linestyle="--",
               label="the new animated children's comedy")
ax_bar.set(title="A new 1998 movie of one genre: median percentile\nin the users' rankings "
                 "of their unseen movies", xlabel="percentile (100% = ranked first)")
ax_bar.legend(loc="lower right", fontsize=8)
ax_bar.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
fig.tight_layout()
show_or_save()
