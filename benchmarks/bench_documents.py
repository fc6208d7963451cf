"""Document codes and semantic hashing: DocumentAutoencoder vs LSA, LSH and MultDAE.

Two comparisons, in one run, on one vocabulary per data set: the 2,000 most frequent words of
the training documents, ``CountVectorizer(max_features=2000, stop_words="english")`` (Hinton &
Salakhutdinov's set-up). The peers that work on tf-idf (LSA, LSH) get
``TfidfTransformer()`` of the same counts. Test documents are the queries, training documents
the database; a retrieved document is relevant when it shares a label with the query.

1. **Hinton's comparison** (Hinton & Salakhutdinov, Science 2006, fig. 4), 20 Newsgroups
   "bydate" (11,314 train / 7,532 test, headers, footers and quotes removed): real codes of
   2, 10 and 32 dimensions from ``DocumentAutoencoder`` against LSA
   (``TruncatedSVD`` of the tf-idf) of the same size and ``MultDAE``'s codes, ranked by
   cosine similarity. Printed: precision at 1, 10 and 100 retrieved documents, precision at
   recall 0.02, 0.05, 0.1, 0.2 and 0.5 (points of the precision-recall curve), fit seconds.
2. **Semantic hashing**: binary codes of 8, 16, 32, 64 and 128 bits on Reuters-21578
   (ModApte; the 7,775 train / 3,019 test stories with at least one topic, relevance = a
   shared topic) and on 20 Newsgroups; precision at 100 by Hamming ranking
   (:func:`skae.neighbors.hamming_kneighbors`, ties broken by database index over a randomly
   ordered database). Peers: random-projection LSH (signs of Gaussian projections of the
   tf-idf, Charikar 2002) and LSA thresholded at the median of each dimension over the
   training documents. Spectral hashing is left out: no maintained Python package of it
   exists (none on PyPI). Printed beside: the published figures of NASH (Shen et al., ACL
   2018, Table 1, Reuters), whose preprocessing differs (see below).
3. **Hamming search time**: top-100 ranking of 7,532 random query codes against 11,314
   (20 Newsgroups' sizes) by scikit-learn's ``NearestNeighbors(metric="hamming")`` and by
   :func:`skae.neighbors.hamming_kneighbors`, which checks that both find the same distances.

Published figures, for comparison (precision at 100, Reuters-21578, Hamming ranking, test
queries against training documents, relevance = a shared topic), from NASH's Table 1 as
quoted in the project's performance notes (not re-checked against the paper here), 8 / 16 /
32 / 64 / 128 bits:

- VDSH (Chaidaroon & Fang, SIGIR 2017): 0.6859 / 0.7165 / 0.7753 / 0.7456 / 0.7318
- NASH: 0.7113 / 0.7624 / 0.7993 / 0.7812 / 0.7559
- NASH-DN: 0.7470 / 0.8013 / 0.8418 / 0.8297 / 0.7924

Their preprocessing differs from this benchmark's: a 10,000-word tf-idf vocabulary, documents
of 6 to 500 tokens, and their own copy of the Reuters ModApte collection; here 2,000 words and
every ModApte story with a topic. Hinton & Salakhutdinov (2006) give 20 Newsgroups results as
figures only (no table), on their own 2,000-word stemmed vocabulary.

How the defaults were chosen (rule written before any test figure was looked at): on a fixed
random 20% (seed 0) of each TRAINING set (20 Newsgroups; Reuters ModApte stories with a topic),
as queries against the other 80% as database and training data, 2,000 words each; the
criterion is the mean over the two data sets of precision at 100 of 10-D real codes (cosine)
and, for ``binary=True``, of 32-bit codes (Hamming). The best mean wins; a candidate within
0.005 of it that is cheaper (fewer epochs) or simpler wins instead. Test sets are used only to
report.

Usage::

    python benchmarks/bench_documents.py            # both comparisons
    python benchmarks/bench_documents.py --quick    # 10-D codes and 32 bits only
    python benchmarks/bench_documents.py --part codes --remove headers  # the issue's setting
"""

import argparse
import time
import warnings

import numpy as np

DIMS = (2, 10, 32)
BITS = (8, 16, 32, 64, 128)
RECALL = (0.02, 0.05, 0.1, 0.2, 0.5)
PUBLISHED = {  # NASH, ACL 2018, Table 1 (Reuters), as quoted in the project's notes
    "VDSH (published)": (0.6859, 0.7165, 0.7753, 0.7456, 0.7318),
    "NASH (published)": (0.7113, 0.7624, 0.7993, 0.7812, 0.7559),
    "NASH-DN (published)": (0.7470, 0.8013, 0.8418, 0.8297, 0.7924),
}


def load(name, seed, remove=("headers", "footers", "quotes")):
    """Training counts, test counts, labels (1-D classes or 2-D topic indicators), words."""
    from sklearn.feature_extraction.text import CountVectorizer

    if name == "20news":
        from skae.datasets import load_20newsgroups

        parts = [load_20newsgroups(subset=s, remove=remove, random_state=seed)
                 for s in ("train", "test")]
        texts, labels = [p.data for p in parts], [p.target for p in parts]
        names = parts[0].target_names
    else:
        from skae.datasets import load_reuters21578

        texts, labels = [], []
        for s in ("train", "test"):
            part = load_reuters21578(subset=s)
            keep = np.flatnonzero(part.target.sum(axis=1) > 0)
            if s == "train":  # a random database order: Hamming ties break by index
                keep = np.random.default_rng(seed).permutation(keep)
            texts.append([part.data[i] for i in keep])
            labels.append(part.target[keep])
        names = part.target_names
    vec = CountVectorizer(max_features=2000, stop_words="english", dtype=np.float32)
    X_train = vec.fit_transform(texts[0])
    return X_train, vec.transform(texts[1]), labels[0], labels[1], names


def cosine_ranking(H_query, H_db, n, block=1000):
    """Database indices by decreasing cosine similarity, ``n`` per query (all when None)."""
    from sklearn.preprocessing import normalize

    Hq, Hd = normalize(H_query), normalize(H_db)
    out = []
    for start in range(0, len(Hq), block):
        sim = Hq[start:start + block] @ Hd.T
        if n is None:
            out.append(np.argsort(-sim, axis=1, kind="stable"))
        else:
            top = np.argpartition(-sim, n - 1, axis=1)[:, :n]
            order = np.argsort(-np.take_along_axis(sim, top, 1), axis=1, kind="stable")
            out.append(np.take_along_axis(top, order, 1))
    return np.concatenate(out)


def real_code_row(name, H_db, H_q, y_db, y_q, fit_s):
    from skae.metrics import retrieval_precision_at_k, retrieval_precision_at_recall

    ranking = cosine_ranking(H_q, H_db, None)
    p = [retrieval_precision_at_k(y_q, y_db, ranking, k=k) for k in (1, 10, 100)]
    curve = retrieval_precision_at_recall(y_q, y_db, ranking, recall=RECALL)
    cells = [f"{v:.3f}" for v in (*p, *curve)]
    print(f"| {name} | " + " | ".join(cells) + f" | {fit_s:.0f} |", flush=True)
    return p[2]


def lsa(X_db, X_q, k, seed):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer

    start = time.perf_counter()
    tfidf = TfidfTransformer().fit(X_db)
    svd = TruncatedSVD(k, random_state=seed).fit(tfidf.transform(X_db))
    H_db, H_q = svd.transform(tfidf.transform(X_db)), svd.transform(tfidf.transform(X_q))
    return H_db, H_q, time.perf_counter() - start


def hinton(args):
    from skae import DocumentAutoencoder, MultDAE

    X, X_test, y, y_test, _ = load("20news", args.seed, args.remove)
    print(f"\n## 1. 20 Newsgroups ({', '.join(args.remove) or 'nothing'} removed), real codes: "
          f"{X_test.shape[0]} test queries vs {X.shape[0]} training documents, {X.shape[1]} "
          "words; cosine ranking\n")
    print("| codes | P@1 | P@10 | P@100 | " + " | ".join(f"P at R={r}" for r in RECALL)
          + " | fit s |")
    print("|---|" + "---:|" * (4 + len(RECALL)))
    for dim in ((10,) if args.quick else DIMS):
        H_db, H_q, fit_s = lsa(X, X_test, dim, args.seed)
        real_code_row(f"LSA-{dim} (TruncatedSVD, tf-idf)", H_db, H_q, y, y_test, fit_s)
        if dim == 10:
            # MultDAE (defaults: 600 tanh units, input dropout 0.5) with the same epochs and
            # step-size schedule as DocumentAutoencoder.
            start = time.perf_counter()
            mult = MultDAE(dim, max_iter=args.max_iter, learning_rate=args.schedule,
                           random_state=args.seed).fit(X)
            real_code_row(f"MultDAE-{dim} ({mult.n_iter_} epochs)", mult.transform(X),
                          mult.transform(X_test), y, y_test, time.perf_counter() - start)
        start = time.perf_counter()
        ae = DocumentAutoencoder(dim, max_iter=args.max_iter, random_state=args.seed).fit(X)
        real_code_row(f"DocumentAutoencoder-{dim} ({ae.n_iter_} epochs)", ae.transform(X),
                      ae.transform(X_test), y, y_test, time.perf_counter() - start)


def hashing_rows(data, bits, args):
    from sklearn.feature_extraction.text import TfidfTransformer

    from skae import DocumentAutoencoder
    from skae.metrics import retrieval_precision_at_k
    from skae.neighbors import hamming_kneighbors

    X, X_test, y, y_test, _ = data
    rows = {"random-projection LSH": [], "LSA, median threshold": [],
            "DocumentAutoencoder(binary=True)": []}
    times = {name: [] for name in rows}
    tfidf = TfidfTransformer().fit(X)
    T, T_test = tfidf.transform(X), tfidf.transform(X_test)
    rng = np.random.default_rng(args.seed)

    def p100(B_db, B_q):
        return retrieval_precision_at_k(y_test, y, hamming_kneighbors(
            B_q, B_db, 100, return_distance=False), k=100)

    for b in bits:
        start = time.perf_counter()
        R = rng.standard_normal((T.shape[1], b)).astype(np.float32)
        B_db, B_q = (T @ R > 0), (T_test @ R > 0)
        times["random-projection LSH"].append(time.perf_counter() - start)
        rows["random-projection LSH"].append(p100(B_db, B_q))
        H_db, H_q, fit_s = lsa(X, X_test, b, args.seed)
        median = np.median(H_db, axis=0)
        times["LSA, median threshold"].append(fit_s)
        rows["LSA, median threshold"].append(p100(H_db > median, H_q > median))
        start = time.perf_counter()
        ae = DocumentAutoencoder(b, binary=True, max_iter=args.max_iter,
                                 random_state=args.seed).fit(X)
        times["DocumentAutoencoder(binary=True)"].append(time.perf_counter() - start)
        rows["DocumentAutoencoder(binary=True)"].append(p100(ae.transform(X),
                                                             ae.transform(X_test)))
    return rows, times


def hashing(args):
    bits = (32,) if args.quick else BITS
    for name in ("reuters", "20news"):
        data = load(name, args.seed, args.remove)
        title = ("Reuters-21578 ModApte, stories with a topic" if name == "reuters"
                 else f"20 Newsgroups ({', '.join(args.remove) or 'nothing'} removed)")
        print(f"\n## 2. Semantic hashing, {title}: {data[1].shape[0]} test queries vs "
              f"{data[0].shape[0]} training documents; P@100 by Hamming ranking\n")
        print("| method | " + " | ".join(f"{b} bits" for b in bits) + " | fit s (per size) |")
        print("|---|" + "---:|" * len(bits) + "---|")
        rows, times = hashing_rows(data, bits, args)
        for method, values in rows.items():
            print(f"| {method} | " + " | ".join(f"{v:.4f}" for v in values) + " | "
                  + " / ".join(f"{t:.1f}" for t in times[method]) + " |", flush=True)
        if name == "reuters" and not args.quick:
            for method, values in PUBLISHED.items():
                print(f"| {method} | " + " | ".join(f"{v:.4f}" for v in values) + " | - |")


def search(args):
    """Seconds of Hamming ranking (top 100) of 20 Newsgroups-sized random codes."""
    from sklearn.neighbors import NearestNeighbors

    from skae.neighbors import hamming_kneighbors

    rng = np.random.default_rng(args.seed)
    n_query, n_db = 7532, 11314
    print(f"\n## 3. Hamming ranking, top 100: {n_query} queries vs {n_db} codes (random bits)\n")
    print("| bits | sklearn NearestNeighbors(metric='hamming', algorithm='brute') s "
          "| skae.neighbors.hamming_kneighbors s | ratio |")
    print("|---:|---:|---:|---:|")
    for b in ((32,) if args.quick else (32, 128)):
        Q, D = rng.random((n_query, b)) < 0.5, rng.random((n_db, b)) < 0.5
        start = time.perf_counter()
        nn = NearestNeighbors(n_neighbors=100, metric="hamming", algorithm="brute").fit(D)
        dist_sk, _ = nn.kneighbors(Q)
        sk_s = time.perf_counter() - start
        start = time.perf_counter()
        dist, _ = hamming_kneighbors(Q, D, 100)
        skae_s = time.perf_counter() - start
        assert np.array_equal(dist, np.rint(dist_sk * b))  # the same distances
        print(f"| {b} | {sk_s:.1f} | {skae_s:.1f} | {sk_s / skae_s:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10-D codes and 32 bits only")
    parser.add_argument("--part", choices=("all", "codes", "hashing", "search"), default="all")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="epochs of every network (default: DocumentAutoencoder's)")
    parser.add_argument("--remove", default="headers,footers,quotes",
                        help="what to strip from the 20 Newsgroups posts (comma-separated; "
                             "'headers' alone is the setting of the figures in the issue)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from sklearn.exceptions import ConvergenceWarning

    from skae import DocumentAutoencoder

    # A fixed number of epochs under a cosine schedule always ends at max_iter, by design.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    torch.set_num_threads(args.threads)
    if args.max_iter is None:
        args.max_iter = DocumentAutoencoder().max_iter
    args.schedule = DocumentAutoencoder().learning_rate
    args.remove = tuple(r for r in args.remove.split(",") if r)
    print(f"# bench_documents: {args.threads} torch thread(s), torch {torch.__version__}, "
          f"seed {args.seed}, {args.max_iter} epochs per network ({args.schedule} step size)")
    start = time.perf_counter()
    if args.part in ("all", "codes"):
        hinton(args)
    if args.part in ("all", "hashing"):
        hashing(args)
    if args.part in ("all", "search"):
        search(args)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
