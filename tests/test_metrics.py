"""Ranking metrics against hand-computed values, the scorer, and the split helpers."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from skae.metrics import (
    hit_rate_at_k,
    make_ranking_scorer,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from skae.model_selection import split_interactions, strong_generalization_split

# Two users, six items. Rankings by score:
#   user 0: items 0, 1, 2, 3, 4, 5 ; relevant {1, 3, 5}
#   user 1: items 5, 4, 3, 2, 1, 0 ; relevant {5}
Y_TRUE = np.array([[0, 1, 0, 1, 0, 1],
                   [0, 0, 0, 0, 0, 1]])
Y_SCORE = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
                    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]])


def _dcg(hits):
    return sum(h / math.log2(r + 2) for r, h in enumerate(hits))


@pytest.mark.parametrize("k, expected", [
    # user 0: hits in the top 2 = {1} -> 1/min(2,3); user 1: hit at rank 0 -> 1/min(2,1)
    (2, [1 / 2, 1.0]),
    # top 4 of user 0 hits {1, 3} -> 2/min(4,3)
    (4, [2 / 3, 1.0]),
    (6, [1.0, 1.0]),
])
def test_recall_is_normalised_by_min_k_and_relevant(k, expected):
    assert recall_at_k(Y_TRUE, Y_SCORE, k=k, average=False) == pytest.approx(expected)
    assert recall_at_k(Y_TRUE, Y_SCORE, k=k) == pytest.approx(np.mean(expected))


def test_precision_and_hit_rate_by_hand():
    assert precision_at_k(Y_TRUE, Y_SCORE, k=2, average=False) == pytest.approx([1 / 2, 1 / 2])
    assert precision_at_k(Y_TRUE, Y_SCORE, k=4, average=False) == pytest.approx([2 / 4, 1 / 4])
    assert hit_rate_at_k(Y_TRUE, Y_SCORE, k=1, average=False) == pytest.approx([0.0, 1.0])
    assert hit_rate_at_k(Y_TRUE, Y_SCORE, k=2) == pytest.approx(1.0)


def test_ndcg_by_hand():
    # user 0, k=3: ranked relevance (0, 1, 0); ideal (1, 1, 1) truncated to min(3, 3)
    expected0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    got = ndcg_at_k(Y_TRUE, Y_SCORE, k=3, average=False)
    assert got == pytest.approx([expected0, 1.0])
    # k=6: user 0 hits at ranks 1, 3, 5
    expected0 = _dcg([0, 1, 0, 1, 0, 1]) / _dcg([1, 1, 1])
    assert ndcg_at_k(Y_TRUE, Y_SCORE, k=6, average=False)[0] == pytest.approx(expected0)


def test_metrics_accept_sparse_truth_and_skip_users_without_relevant_items():
    y_true = np.vstack([Y_TRUE, np.zeros(6, dtype=int)])
    y_score = np.vstack([Y_SCORE, np.ones(6)])
    per_user = recall_at_k(sp.csr_matrix(y_true), y_score, k=2, average=False)
    assert np.isnan(per_user[2])
    assert recall_at_k(sp.csr_matrix(y_true), y_score, k=2) == pytest.approx(0.75)


def test_minus_inf_ranks_last_and_large_k_ranks_everything():
    y_score = Y_SCORE.copy()
    y_score[0, 1] = -np.inf  # the excluded item drops from rank 1 to last
    assert precision_at_k(Y_TRUE, y_score, k=1, average=False)[0] == 0.0
    assert ndcg_at_k(Y_TRUE, Y_SCORE, k=1000) == pytest.approx(ndcg_at_k(Y_TRUE, Y_SCORE, k=6))


@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, "k must be a positive integer"),
    ({"y_score": Y_SCORE[:, :5]}, "same shape"),
    ({"y_score": np.full_like(Y_SCORE, np.nan)}, "NaN"),
    ({"y_true": np.zeros_like(Y_TRUE)}, "No row of y_true has a relevant"),
])
def test_metric_errors(kwargs, match):
    args = {"y_true": Y_TRUE, "y_score": Y_SCORE, "k": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        recall_at_k(args.pop("y_true"), args.pop("y_score"), **args)


def test_split_interactions_partitions_each_row():
    X = sp.random(30, 40, density=0.3, random_state=0, format="csr") * 5
    foldin, holdout = split_interactions(X, holdout_fraction=0.25, random_state=0)
    assert sp.issparse(foldin) and sp.issparse(holdout)
    assert abs(foldin + holdout - X).max() == 0
    assert foldin.multiply(holdout).nnz == 0
    counts = np.diff(X.indptr)
    expected = np.where(counts >= 2, np.maximum(1, (0.25 * counts).astype(int)), 0)
    np.testing.assert_array_equal(np.diff(holdout.indptr), expected)
    again = split_interactions(X, holdout_fraction=0.25, random_state=0)[1]
    assert (again != holdout).nnz == 0


def test_strong_generalization_split_holds_out_users():
    X = (np.random.RandomState(0).rand(50, 20) > 0.6).astype(float)
    X_train, X_foldin, X_holdout, train, test = strong_generalization_split(
        X, test_size=10, random_state=0, return_indices=True)
    assert len(test) == 10 and len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(X_train, X[train])
    np.testing.assert_array_equal(X_foldin + X_holdout, X[test])


@pytest.mark.parametrize("fn, kwargs, match", [
    (split_interactions, {"holdout_fraction": 1.0}, "holdout_fraction must be in"),
    (split_interactions, {"X": -np.ones((2, 3))}, "Negative values"),
    (strong_generalization_split, {"X": -np.ones((4, 3))}, "Negative values"),
    (make_ranking_scorer, {"metric": "auc"}, "Unknown ranking metric"),
    (make_ranking_scorer, {"k": -1}, "k must be a positive integer"),
])
def test_helper_errors(fn, kwargs, match):
    if "X" not in kwargs and fn is not make_ranking_scorer:
        kwargs["X"] = np.ones((2, 3))
    with pytest.raises(ValueError, match=match):
        fn(**kwargs)


class _Oracle:
    """Scores a fixed matrix: the scorer must mask the fold-in items and use the held-out ones."""

    def __init__(self, scores):
        self.scores = scores

    def predict_scores(self, X):
        return self.scores.copy()


def test_scorer_with_explicit_holdout_matches_metric():
    scorer = make_ranking_scorer("recall", k=2)
    foldin = np.array([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    # item 0 is seen by user 0: masked, so user 0's top 2 become items 1, 2
    assert scorer(_Oracle(Y_SCORE), foldin, Y_TRUE) == pytest.approx(
        np.mean([1 / 2, 1.0]))
    assert "recall_at_k" in repr(scorer)


# ndcg_at_k against scikit-learn's ndcg_score. The two definitions coincide (same discount
# 1 / log2(rank + 2), same ideal DCG truncated at k) where these differences do not arise:
# - relevance: skae's is binary (any non-zero y_true is relevant, gain 1); scikit-learn uses
#   y_true itself as a graded gain. So y_true here is 0/1, or compared after binarising it;
# - ties in y_score: scikit-learn averages the gains of tied items over their ranks; skae breaks
#   ties in an arbitrary order. Continuous random scores have no ties (asserted);
# - rows without a relevant item: scikit-learn scores them 0 and averages them in; skae leaves
#   them out (NaN per row). Every row here has at least one relevant item;
# - non-finite scores: skae ranks -inf last (excluded items); scikit-learn rejects them.
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_items", [2, 7, 60])
def test_ndcg_equals_sklearn_ndcg_score_on_binary_relevance(seed, n_items):
    from sklearn.metrics import ndcg_score

    rng = np.random.RandomState(seed)
    y_true = (rng.rand(40, n_items) < 0.3).astype(int)
    y_true[np.arange(40), rng.randint(0, n_items, 40)] = 1  # every row has a relevant item
    y_score = rng.randn(40, n_items)
    assert all(len(np.unique(row)) == n_items for row in y_score)  # no ties
    for k in sorted({1, 2, 5, 10, n_items, n_items + 3}):
        assert ndcg_at_k(y_true, y_score, k=k) == pytest.approx(
            ndcg_score(y_true, y_score, k=k), rel=1e-12)
        per_user = ndcg_at_k(sp.csr_matrix(y_true), y_score, k=k, average=False)
        expected = [ndcg_score(y_true[[u]], y_score[[u]], k=k) for u in range(len(y_true))]
        np.testing.assert_allclose(per_user, expected, rtol=1e-12)


def test_ndcg_uses_binary_relevance_where_sklearn_uses_graded_gains():
    from sklearn.metrics import ndcg_score

    rng = np.random.RandomState(0)
    graded = rng.randint(0, 4, size=(40, 12)) * (rng.rand(40, 12) < 0.5)
    graded[:, 0] = 3  # every row has a relevant item
    y_score = rng.randn(40, 12)
    ours = ndcg_at_k(graded, y_score, k=5)
    assert ours == pytest.approx(ndcg_score(graded > 0, y_score, k=5), rel=1e-12)
    # ...and not scikit-learn's graded value, which weighs relevance levels differently.
    assert abs(ours - ndcg_score(graded, y_score, k=5)) > 0.01  # 0.479 against 0.435
