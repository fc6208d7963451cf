"""
Document codes: 20 Newsgroups in two dimensions, autoencoder vs LSA
===================================================================

Hinton & Salakhutdinov (Science 2006) encoded newsgroup posts, as counts of the 2,000 most
frequent words, with a deep autoencoder into 2 numbers per document, and drew them next to the
first two dimensions of latent semantic analysis (LSA): the autoencoder's codes fall into
clusters of one topic each, where LSA's overlap. :class:`skae.DocumentAutoencoder` learns such
codes from a sparse word-count matrix, with its default ``2000-500-250-125-code`` network and
a multinomial likelihood of the words.

Six newsgroups keep the picture readable and the example to a couple of minutes on one CPU
thread (``benchmarks/bench_documents.py`` runs all twenty). The models are fitted on the
training posts of the six groups (headers, signatures and quotes removed) and the figure shows
the test posts, which neither model has seen. Last, a test post is used as a query: its
nearest training posts by their 10-dimensional codes.

Run from the repository root with ``SKAE_DATA`` naming your data home, e.g.
``SKAE_DATA=/path/to/data python examples/applications/plot_documents_20newsgroups.py``.
"""

# %%
# The posts, as counts of the 2,000 most frequent words (English stop words left out). The
# counts stay a sparse matrix: the autoencoder densifies one minibatch at a time.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.neighbors import NearestNeighbors

from skae import DocumentAutoencoder
from skae.datasets import load_20newsgroups
from skae.metrics import retrieval_precision_at_k
from skae.plotting import show_or_save

torch.set_num_threads(1)
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # 60 epochs, by design
groups = ["comp.graphics", "rec.autos", "rec.sport.hockey", "sci.med",
          "soc.religion.christian", "talk.politics.mideast"]
remove = ("headers", "footers", "quotes")
train = load_20newsgroups(subset="train", categories=groups, remove=remove)
test = load_20newsgroups(subset="test", categories=groups, remove=remove)
vectorizer = CountVectorizer(max_features=2000, stop_words="english", dtype=np.float32)
X_train = vectorizer.fit_transform(train.data)
X_test = vectorizer.transform(test.data)
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test posts, "
      f"{X_train.shape[1]} words; {X_train.nnz / np.prod(X_train.shape):.1%} non-zero")

# %%
# Two-dimensional codes, and LSA's two dimensions (a truncated SVD of the tf-idf matrix).
start = time.perf_counter()
ae2 = DocumentAutoencoder(n_components=2, random_state=0).fit(X_train)
print(f"DocumentAutoencoder, 2-D: {time.perf_counter() - start:.0f} s")
tfidf = TfidfTransformer().fit(X_train)
lsa = TruncatedSVD(2, random_state=0).fit(tfidf.transform(X_train))
codes = {"LSA (TruncatedSVD of tf-idf)": lsa.transform(tfidf.transform(X_test)),
         "DocumentAutoencoder": ae2.transform(X_test)}

fig, axes = plt.subplots(1, 2, figsize=(12, 6))
colors = plt.cm.tab10(np.arange(len(groups)))
for ax, (name, H) in zip(axes, codes.items()):
    for g, group in enumerate(groups):
        H_g = H[test.target == g]
        ax.scatter(H_g[:, 0], H_g[:, 1], s=4, alpha=0.6, color=colors[g], label=group)
    ax.set_title(f"{name}: 2-D codes of {len(H)} test posts")
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=len(groups), markerscale=4, fontsize=9)
fig.suptitle("20 Newsgroups, six groups: the autoencoder separates the topics, LSA "
             "overlaps them")
fig.tight_layout(rect=(0, 0.06, 1, 1))
show_or_save()

# %%
# How well the codes retrieve posts of the same group: each test post is a query, the
# training posts are searched by cosine similarity of the codes, and precision is the share
# of the first 10 and 100 posts found that come from the query's group (chance: about 1/6).
# In two dimensions the codes find the query's group twice as often as LSA; ten dimensions
# retrieve far better for both, and on these six well-separated groups LSA comes close.
# ``benchmarks/bench_documents.py`` compares them on all twenty groups.
ae10 = DocumentAutoencoder(n_components=10, random_state=0).fit(X_train)
lsa10 = TruncatedSVD(10, random_state=0).fit(tfidf.transform(X_train))
models = {
    "LSA, 2-D": (lsa.transform(tfidf.transform(X_train)), codes["LSA (TruncatedSVD of tf-idf)"]),
    "DocumentAutoencoder, 2-D": (ae2.transform(X_train), codes["DocumentAutoencoder"]),
    "LSA, 10-D": (lsa10.transform(tfidf.transform(X_train)),
                  lsa10.transform(tfidf.transform(X_test))),
    "DocumentAutoencoder, 10-D": (ae10.transform(X_train), ae10.transform(X_test)),
}
for name, (H_train, H_test) in models.items():
    neighbors = NearestNeighbors(n_neighbors=100, metric="cosine").fit(H_train)
    found = neighbors.kneighbors(H_test, return_distance=False)
    p10, p100 = (retrieval_precision_at_k(test.target, train.target, found, k=k)
                 for k in (10, 100))
    print(f"{name:27s} precision at 10: {p10:.3f}   at 100: {p100:.3f}")

# %%
# A query and the training posts nearest to it by 10-D code. Each line shows a post's group
# and its first words.
query = 3
neighbors = NearestNeighbors(n_neighbors=5, metric="cosine").fit(ae10.transform(X_train))
found = neighbors.kneighbors(ae10.transform(X_test[query]), return_distance=False)[0]


def first_words(text, n=14):
    return " ".join(text.split()[:n])


print(f"query [{groups[test.target[query]]}]: {first_words(test.data[query])}")
for rank, i in enumerate(found, 1):
    print(f"  {rank}. [{groups[train.target[i]]}] {first_words(train.data[i])}")
