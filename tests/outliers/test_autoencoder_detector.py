"""``AutoencoderOutlierDetector``: IsolationForest's conventions, robustness, persistence."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderOutlierDetector
from skae.nn._outliers import trimmed_mean
from tests.conftest import data_home_or_skip

FAST = dict(n_networks=4, random_state=0)
_MANIFOLD = np.random.default_rng(42).normal(size=(2, 8))


def _contaminated(n=300, share=0.05, seed=0):
    """Inliers near a curved 2-D surface in 8-D; a ``share`` of the rows (the first ones)
    replaced by points drawn uniformly in the inliers' bounding box. ``y`` is 1 for those."""
    rng = np.random.default_rng(seed)
    X = np.tanh(rng.normal(size=(n, 2))) @ _MANIFOLD + 0.05 * rng.normal(size=(n, 8))
    k = int(share * n)
    X[:k] = rng.uniform(X.min(axis=0), X.max(axis=0), size=(k, 8))
    y = np.zeros(n, dtype=int)
    y[:k] = 1
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _contaminated()
    return AutoencoderOutlierDetector(**FAST).fit(X), X, y


# -- the conventions of IsolationForest ------------------------------------------------------
def test_predict_decision_and_scores_agree(fitted):
    det, X, _ = fitted
    scores, decision, labels = det.score_samples(X), det.decision_function(X), det.predict(X)
    assert scores.dtype == decision.dtype == np.float64
    assert np.array_equal(decision, scores - det.offset_)
    assert np.array_equal(labels, np.where(decision < 0, -1, 1))
    assert set(np.unique(labels)) == {-1, 1}
    assert np.array_equal(AutoencoderOutlierDetector(**FAST).fit_predict(X), labels)


def test_planted_outliers_score_lowest_on_new_data(fitted):
    det, _, _ = fitted
    X_new, y_new = _contaminated(seed=1)
    assert roc_auc_score(y_new, -det.score_samples(X_new)) > 0.98
    # "auto" flags most planted points of new data and few of the others.
    flagged = det.predict(X_new) == -1
    assert flagged[y_new == 1].mean() > 0.8
    assert flagged[y_new == 0].mean() < 0.1


@pytest.mark.parametrize("contamination", [0.05, 0.2])
def test_contamination_sets_the_share_flagged_in_training(contamination):
    X, _ = _contaminated(n=200)
    det = AutoencoderOutlierDetector(contamination=contamination, **FAST).fit(X)
    assert (det.predict(X) == -1).sum() == round(contamination * 200)
    assert det.offset_ == pytest.approx(np.percentile(det.score_samples(X),
                                                      100 * contamination))


def test_auto_offset_is_tukeys_far_out_fence(fitted):
    det, X, _ = fitted
    errors = -det.score_samples(X)
    q1, q3 = np.percentile(errors, [25, 75])
    assert det.offset_ == pytest.approx(-(q3 + 3 * (q3 - q1)))
    # On clean Gaussian data the fence flags almost nothing.
    clean = np.random.default_rng(3).normal(size=(500, 6))
    det_clean = AutoencoderOutlierDetector(**FAST).fit(clean)
    assert (det_clean.predict(clean) == -1).mean() < 0.02


def test_typical_training_error_scale(fitted):
    # Each feature's error is divided by its trimmed mean, which leaves out the largest
    # errors: the median training sample scores between -1 and -3.
    det, X, _ = fitted
    assert det.feature_error_scale_.shape == (4, 8)
    assert -3 < np.median(det.score_samples(X)) < -1


# -- what makes it robust --------------------------------------------------------------------
def test_trimmed_mean_drops_the_largest_values():
    values = torch.tensor([[1.0, 2.0, 3.0, 100.0, 4.0]])
    assert trimmed_mean(values, 0.2).item() == pytest.approx(2.5)
    assert trimmed_mean(values, 0.0).item() == pytest.approx(22.0)
    assert trimmed_mean(values, 0.99).item() == pytest.approx(1.0)  # one value is kept
    values.requires_grad_(True)
    trimmed_mean(values, 0.2).sum().backward()
    assert values.grad[0, 3] == 0 and values.grad[0, 0] == pytest.approx(0.25)


def test_each_network_trains_on_its_own_rows():
    det = AutoencoderOutlierDetector(n_networks=3, max_samples=50)
    rows = det._draw_rows(200, np.random.RandomState(0))
    assert rows.shape == (50, 3)
    assert all(len(set(rows[:, k])) == 50 for k in range(3))  # without replacement
    assert len({frozenset(rows[:, k]) for k in range(3)}) == 3
    # Fewer rows than max_samples: every row is used, repeated to make up the number.
    small = det._draw_rows(20, np.random.RandomState(0))
    for k in range(3):
        counts = np.bincount(small[:, k], minlength=20)
        assert set(counts) == {2, 3} and (counts == 3).sum() == 10
    assert AutoencoderOutlierDetector(max_samples=0.25)._n_rows(200) == 50


def test_alpha_decays_weights_only():
    X, _ = _contaminated(n=100)
    det = AutoencoderOutlierDetector(alpha=1e-2, **FAST).fit(X)
    groups = det._optimizer.param_groups
    named = dict(det.module_.named_parameters())
    decayed = {id(p) for g in groups if g["weight_decay"] > 0 for p in g["params"]}
    assert decayed == {id(p) for n, p in named.items() if n.endswith("weight")}


def test_robust_to_scale_of_each_feature():
    # Standardised inside: multiplying a feature by 1000 changes nothing but rounding.
    X, y = _contaminated()
    X_scaled = X * np.array([1000.0] + [1.0] * 7)
    a = AutoencoderOutlierDetector(**FAST).fit(X).score_samples(X)
    b = AutoencoderOutlierDetector(**FAST).fit(X_scaled).score_samples(X_scaled)
    assert np.corrcoef(a, b)[0, 1] > 0.999


def test_early_stopping_holds_out_rows_of_each_network():
    X, y = _contaminated()
    det = AutoencoderOutlierDetector(early_stopping=True, n_iter_no_change=3, max_iter=200,
                                     **FAST).fit(X)
    assert len(det.validation_loss_curve_) == det.n_iter_ < 200
    assert det.best_loss_ == min(det.validation_loss_curve_)
    assert roc_auc_score(y, -det.score_samples(X)) > 0.95


# -- reproducibility, persistence, composition -------------------------------------------------
def test_reproducible_and_leaves_global_rng_alone():
    X, _ = _contaminated(n=150)
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    a = AutoencoderOutlierDetector(**FAST).fit(X).score_samples(X)
    b = AutoencoderOutlierDetector(**FAST).fit(X).score_samples(X)
    c = AutoencoderOutlierDetector(**{**FAST, "random_state": 1}).fit(X).score_samples(X)
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_pickle_round_trip(fitted):
    det, X, _ = fitted
    loaded = pickle.loads(pickle.dumps(det))
    assert np.array_equal(loaded.score_samples(X), det.score_samples(X))
    assert loaded.offset_ == det.offset_
    assert clone(det).get_params() == det.get_params()


def test_pipeline_and_grid_search_with_labelled_validation_data():
    X_train, _ = _contaminated(n=240, seed=0)
    X_val, y_val = _contaminated(n=120, share=0.1, seed=1)
    X = np.vstack([X_train, X_val])
    y = np.concatenate([np.zeros(len(X_train), dtype=int), y_val])  # ignored by fit
    # Fit on the training rows, score the labelled validation rows.
    cv = PredefinedSplit(np.r_[np.full(len(X_train), -1), np.zeros(len(X_val), dtype=int)])

    def roc_auc(estimator, X, y):
        return roc_auc_score(y, -estimator.score_samples(X))

    pipe = make_pipeline(MinMaxScaler(), AutoencoderOutlierDetector(**FAST))
    search = GridSearchCV(pipe, {"autoencoderoutlierdetector__max_iter": [1, 40]},
                          scoring=roc_auc, cv=cv).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > 0.97 and scores[1] > scores[0]
    assert search.best_params_ == {"autoencoderoutlierdetector__max_iter": 40}
    assert search.predict(X_val).shape == (120,)


# -- bad input -----------------------------------------------------------------------------
def test_bad_input_raises_and_leaves_the_fitted_model_as_it_was(fitted):
    det, X, _ = fitted
    det = pickle.loads(pickle.dumps(det))
    before = det.score_samples(X)
    offset = det.offset_
    with pytest.raises(ValueError, match="NaN"):
        det.fit(np.where(np.eye(*X.shape) > 0, np.nan, X))
    with pytest.raises(TypeError, match="[Ss]parse"):
        det.fit(sp.csr_matrix(X))
    with pytest.raises(ValueError, match="features"):
        det.score_samples(X[:, :3])
    with pytest.raises(ValueError, match="contamination"):
        AutoencoderOutlierDetector(contamination=0.7).fit(X)
    assert det.offset_ == offset and np.array_equal(det.score_samples(X), before)


# -- real data -----------------------------------------------------------------------------
def test_ranks_thyroid_outliers_better_than_isolation_forest():
    # The selection protocol of benchmarks/bench_outliers.py: seed 0's training part, MinMax
    # scaled, split again; fit on the first part (outliers included), score the second.
    data_home_or_skip("odds/thyroid.mat")
    from skae.datasets import load_odds

    X, y = load_odds("thyroid", return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    X_train = MinMaxScaler().fit_transform(X_train)
    X_fit, X_val, _, y_val = train_test_split(X_train, y_train, test_size=0.3,
                                              stratify=y_train, random_state=0)
    ours = -AutoencoderOutlierDetector(random_state=0).fit(X_fit).score_samples(X_val)
    forest = -IsolationForest(random_state=0).fit(X_fit).score_samples(X_val)
    assert roc_auc_score(y_val, ours) > 0.97
    assert roc_auc_score(y_val, ours) > roc_auc_score(y_val, forest)
    assert average_precision_score(y_val, ours) > 1.5 * average_precision_score(y_val, forest)
