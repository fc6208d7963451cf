"""Retrieval precision against hand-computed values, and Hamming ranking against brute force."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from skae.metrics import retrieval_precision_at_k, retrieval_precision_at_recall
from skae.neighbors import hamming_kneighbors

# Single-label: database classes, two queries (classes 0 and 2) and their rankings.
#   query 0 (class 0): relevant {0, 1}; ranking 0, 2, 1, 3, 4 -> hits 1, 0, 1, 0, 0
#   query 1 (class 2): relevant {4};    ranking 4, 0, 1, 2, 3 -> hits 1, 0, 0, 0, 0
Y_DB = np.array([0, 0, 1, 1, 2])
Y_Q = np.array([0, 2])
RANKED = np.array([[0, 2, 1, 3, 4], [4, 0, 1, 2, 3]])

# Multi-label: relevant = shares a topic.
#   query 0 (topics 0, 1): relevant {0, 1, 2}; ranking 3, 0, 1, 2 -> hits 0, 1, 1, 1
#   query 1 (topic 2):     relevant {3};       ranking 0, 3, 1, 2 -> hits 0, 1, 0, 0
#   query 2 (no topic):    nothing relevant    -> NaN, left out of the mean
Y_DB_MULTI = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
Y_Q_MULTI = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]])
RANKED_MULTI = np.array([[3, 0, 1, 2], [0, 3, 1, 2], [0, 1, 2, 3]])


@pytest.mark.parametrize("k, expected", [(1, [1.0, 1.0]), (2, [0.5, 0.5]), (3, [2 / 3, 1 / 3])])
def test_precision_at_k_single_label(k, expected):
    per_query = retrieval_precision_at_k(Y_Q, Y_DB, RANKED, k=k, average=False)
    assert per_query == pytest.approx(expected)
    assert retrieval_precision_at_k(Y_Q, Y_DB, RANKED, k=k) == pytest.approx(np.mean(expected))


@pytest.mark.parametrize("k, expected", [(1, [0.0, 0.0]), (2, [0.5, 0.5]), (3, [2 / 3, 1 / 3]),
                                         (4, [3 / 4, 1 / 4])])
def test_precision_at_k_multi_label_shares_a_topic(k, expected):
    per_query = retrieval_precision_at_k(Y_Q_MULTI, Y_DB_MULTI, RANKED_MULTI, k=k,
                                         average=False)
    assert per_query[:2] == pytest.approx(expected)
    assert np.isnan(per_query[2])  # a query without topics has nothing relevant
    assert retrieval_precision_at_k(Y_Q_MULTI, Y_DB_MULTI, RANKED_MULTI, k=k) == pytest.approx(
        np.mean(expected))
    sparse = retrieval_precision_at_k(sp.csr_matrix(Y_Q_MULTI), sp.csr_matrix(Y_DB_MULTI),
                                      RANKED_MULTI, k=k)
    assert sparse == pytest.approx(np.mean(expected))


def test_precision_at_recall_hand_computed():
    # query 0: 2 relevant, found at ranks 1 and 3 -> recall 0.5: 1/1, recall 1: 2/3;
    # query 1: 1 relevant, found at rank 1 -> 1 at every level.
    per_query = retrieval_precision_at_recall(Y_Q, Y_DB, RANKED, recall=(0.5, 1.0),
                                              average=False)
    np.testing.assert_allclose(per_query, [[1.0, 2 / 3], [1.0, 1.0]])
    assert retrieval_precision_at_recall(Y_Q, Y_DB, RANKED, recall=(0.5, 1.0)) == pytest.approx(
        [1.0, 5 / 6])
    # Multi-label query 0: 3 relevant at ranks 2, 3, 4 -> recall 1/3: 1/2, 2/3: 2/3, 1: 3/4.
    per_query = retrieval_precision_at_recall(Y_Q_MULTI, Y_DB_MULTI, RANKED_MULTI,
                                              recall=(0.3, 0.6, 1.0), average=False)
    assert per_query[0] == pytest.approx([1 / 2, 2 / 3, 3 / 4])
    assert per_query[1] == pytest.approx([1 / 2, 1 / 2, 1 / 2])
    assert np.isnan(per_query[2]).all()


def test_precision_at_recall_of_a_truncated_ranking_is_nan_where_not_reached():
    # Only the first two documents retrieved: query 0's second relevant one is not among them.
    per_query = retrieval_precision_at_recall(Y_Q, Y_DB, RANKED[:, :2], recall=(0.5, 1.0),
                                              average=False)
    assert per_query[0, 0] == 1.0 and np.isnan(per_query[0, 1])


def test_precision_matches_brute_force_on_random_rankings():
    rng = np.random.RandomState(0)
    y_db, y_q = rng.randint(0, 4, 60), rng.randint(0, 4, 15)
    ranked = np.argsort(rng.rand(15, 60), axis=1)
    expected = np.mean([np.mean(y_db[ranked[i, :10]] == y_q[i]) for i in range(15)])
    assert retrieval_precision_at_k(y_q, y_db, ranked, k=10) == pytest.approx(expected)
    # At recall 1, precision is n_relevant / rank of the last relevant document.
    last = [np.flatnonzero(y_db[ranked[i]] == y_q[i])[-1] + 1 for i in range(15)]
    n_rel = [np.sum(y_db == y_q[i]) for i in range(15)]
    assert retrieval_precision_at_recall(y_q, y_db, ranked, recall=(1.0,))[0] == pytest.approx(
        np.mean(np.divide(n_rel, last)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(neighbors=RANKED[:, :2], k=3), "at least k"),
    (dict(neighbors=RANKED + 1, k=2), "outside the database"),
    (dict(neighbors=RANKED.astype(float), k=2), "integer indices"),
    (dict(neighbors=RANKED[:1], k=2), "rows for 2 queries"),
    (dict(neighbors=RANKED, k=0), "positive integer"),
])
def test_precision_at_k_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        retrieval_precision_at_k(Y_Q, Y_DB, **kwargs)


def test_label_kinds_must_agree():
    with pytest.raises(ValueError, match="both be 1-D"):
        retrieval_precision_at_k(Y_Q, Y_DB_MULTI[:5], RANKED[:, :4], k=2)
    with pytest.raises(ValueError, match="same labels"):
        retrieval_precision_at_k(Y_Q_MULTI, Y_DB_MULTI[:, :2], RANKED_MULTI, k=2)
    with pytest.raises(ValueError, match=r"recall levels must be in \(0, 1\]"):
        retrieval_precision_at_recall(Y_Q, Y_DB, RANKED, recall=(0.0, 0.5))


def test_no_relevant_document_at_all_is_an_error():
    with pytest.raises(ValueError, match="No query has a relevant document"):
        retrieval_precision_at_k([7, 8], Y_DB, RANKED, k=2)
    assert np.isnan(retrieval_precision_at_k([7, 8], Y_DB, RANKED, k=2, average=False)).all()


# -- Hamming ranking ---------------------------------------------------------------------------
def _brute_force(Q, D, k):
    """Distances and indices sorted by (distance, index), one query at a time."""
    dist = (Q[:, None, :] != D[None, :, :]).sum(axis=2)
    order = np.array([np.lexsort((np.arange(len(D)), row))[:k] for row in dist])
    return np.take_along_axis(dist, order, axis=1), order


@pytest.mark.parametrize("n_bits", [8, 64])
def test_hamming_ranking_equals_brute_force_with_ties_by_index(n_bits):
    rng = np.random.RandomState(n_bits)
    Q = rng.randint(0, 2, (30, n_bits)).astype(np.uint8)
    D = rng.randint(0, 2, (200, n_bits)).astype(np.uint8)
    dist, ind = hamming_kneighbors(Q, D, n_neighbors=25)
    expected_dist, expected_ind = _brute_force(Q, D, 25)
    np.testing.assert_array_equal(dist, expected_dist)
    np.testing.assert_array_equal(ind, expected_ind)  # 8 bits: many ties, broken by index
    assert dist.dtype == np.int64 and ind.dtype == np.int64


def test_hamming_distances_equal_scikit_learns():
    rng = np.random.RandomState(1)
    Q, D = rng.rand(20, 16) > 0.5, rng.rand(150, 16) > 0.5  # bool codes are accepted
    dist, _ = hamming_kneighbors(Q, D, n_neighbors=10)
    nn = NearestNeighbors(n_neighbors=10, metric="hamming", algorithm="brute").fit(D)
    sk_dist, _ = nn.kneighbors(Q)
    np.testing.assert_array_equal(dist, np.rint(sk_dist * 16).astype(int))


def test_hamming_all_neighbors_and_large_keys():
    rng = np.random.RandomState(2)
    Q, D = rng.randint(0, 2, (3, 12)), rng.randint(0, 2, (9, 12))
    ind = hamming_kneighbors(Q, D, n_neighbors=50, return_distance=False)
    assert ind.shape == (3, 9)  # cut to the database
    np.testing.assert_array_equal(ind, _brute_force(Q, D, 9)[1])


def test_hamming_int64_keys_path(monkeypatch):
    # Keys beyond float32's exact integers take the int64 path: same result.
    import skae.neighbors._hamming as hamming

    rng = np.random.RandomState(3)
    Q, D = rng.randint(0, 2, (5, 32)), rng.randint(0, 2, (40, 32))
    expected = hamming_kneighbors(Q, D, n_neighbors=7)
    monkeypatch.setattr(hamming, "_FLOAT32_EXACT", 0)
    got = hamming_kneighbors(Q, D, n_neighbors=7)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("Q, D, n, match", [
    ([[0, 2]], [[0, 1]], 1, "must hold bits"),
    ([[0, 1, 1]], [[0, 1]], 1, "same length"),
    ([[0, 1]], [[0, 1]], 0, "positive integer"),
])
def test_hamming_errors(Q, D, n, match):
    with pytest.raises(ValueError, match=match):
        hamming_kneighbors(Q, D, n_neighbors=n)
