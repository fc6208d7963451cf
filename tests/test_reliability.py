"""Regression tests of a hostile-input run: each failed on the main branch before its fix."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from skae import (
    CDAE,
    EASE,
    Autoencoder,
    AutoRecRegressor,
    MultDAE,
    MultVAE,
    NonFiniteLossError,
    StackedAutoencoder,
    VariationalAutoencoder,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X = np.random.RandomState(0).random((40, 6))
INTERACTIONS = (np.random.RandomState(1).random((40, 12)) > 0.6).astype(float)
PAIRS = np.array([[u, i] for u in range(8) for i in range(5)])
RATINGS = (PAIRS.sum(1) % 5 + 1).astype(float)


def _fitted_attributes(est):
    return [k for k in vars(est) if k.endswith("_")]


# -- 1. a failed fit leaves a fresh estimator unfitted, a fitted one as it was ------------------
class _FailsInTraining(StackedAutoencoder):
    def _on_epoch_end(self, module, ctx, logs):
        if ctx.epoch == 1:
            raise RuntimeError("boom")
        return False


def test_an_error_mid_training_leaves_a_fresh_estimator_unfitted():
    est = _FailsInTraining(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(X)
    assert _fitted_attributes(est) == []
    with pytest.raises(NotFittedError):
        est.transform(X)


def test_multvae_on_all_zero_rows_fails_without_looking_fitted():
    model = MultVAE(n_components=2, hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with pytest.raises(NonFiniteLossError):
        model.fit(np.zeros((30, 8)))
    with pytest.raises(NotFittedError):
        model.predict_scores(np.ones((2, 8)))


def test_a_failed_refit_keeps_the_previous_model():
    ae = Autoencoder(max_iter=5, random_state=0).fit(X)
    score = ae.score(X)
    with pytest.raises(ValueError, match="squares overflow"):
        ae.fit(X * 1e30)
    assert ae.score(X) == score
    ease = EASE(alpha=1.0).fit(INTERACTIONS)
    coef = ease.coef_
    with pytest.raises(MemoryError):
        ease.set_params(memory_limit_gb=1e-9).fit(np.ones((5, 30)))
    assert ease.coef_ is coef and ease.n_features_in_ == 12


class _Interrupted(Autoencoder):
    def _loss(self, module, batch, ctx):
        if ctx.training and ctx.step == self.stop_at:
            raise KeyboardInterrupt
        return super()._loss(module, batch, ctx)


def test_interrupted_partial_fit_keeps_weights_and_history_in_agreement():
    est = _Interrupted(max_iter=3, batch_size=10, random_state=0).fit(X)  # 4 steps an epoch
    weights = {k: v.clone() for k, v in est.module_.state_dict().items()}
    est.stop_at = est._history.n_steps + 2  # in the middle of the next epoch
    # partial_fit's one epoch did not complete: the interrupt is raised (issue 26) and the
    # model is the one it continued from.
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X)
    assert est.n_iter_ == len(est.loss_curve_) == 3
    assert est._history.n_steps == 12
    for k, v in est.module_.state_dict().items():
        torch.testing.assert_close(v, weights[k], rtol=0, atol=0)


_Interrupted.stop_at = -1


# -- 3. values beyond what float32 squares can hold --------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: Autoencoder(max_iter=2).fit(X).transform(np.full((2, 6), 1e300)),
    lambda: Autoencoder(max_iter=2).fit(X).score_samples(np.full((10, 6), 1e30)),
    lambda: Autoencoder(max_iter=2).fit(X).inverse_transform(np.full((2, 2), 1e30)),
    lambda: EASE().fit(np.full((5, 8), 1e300)),
    lambda: EASE().fit(np.full((5, 8), 2e19)),
    lambda: AutoRecRegressor(solver="lbfgs", max_iter=2).fit(PAIRS, np.r_[1e30, RATINGS[1:]]),
])
def test_values_whose_squares_overflow_float32_are_a_clear_error(call):
    with pytest.raises(ValueError, match="squares overflow"):
        call()


# -- 4. ids and ratings --------------------------------------------------------------------------
@pytest.mark.parametrize("users, match", [
    (np.array([2**64 - 1, 2**64 - 2] * 20, dtype=np.uint64), "fit in int64"),
    (np.array([1e19, 1e19 + 4096] * 20), "at most 2\\*\\*53"),
    (np.array([True, 2] * 20, dtype=object), "booleans"),
])
def test_ids_that_would_merge_or_change_meaning_are_errors(users, match):
    pairs = np.empty((40, 2), dtype=object)
    pairs[:, 0], pairs[:, 1] = users, np.arange(40) % 5
    with pytest.raises(ValueError, match=match):
        AutoRecRegressor(max_iter=2).fit(pairs, np.ones(40))


def test_none_in_an_object_y_is_a_clear_error():
    y = RATINGS.astype(object)
    y[3] = None
    with pytest.raises(ValueError, match="rows \\[3\\]"):
        AutoRecRegressor(max_iter=2).fit(PAIRS, y)


# -- 6. recommend's flags and score's dtypes ----------------------------------------------------
@pytest.mark.parametrize("model", [EASE(alpha=1.0), CDAE(n_components=2, max_iter=2),
                                   MultDAE(n_components=2, hidden_layer_sizes=(4,), max_iter=2),
                                   MultVAE(n_components=2, hidden_layer_sizes=(4,), max_iter=2)])
def test_recommend_flags_must_be_booleans_and_score_takes_float16(model):
    model.fit(INTERACTIONS)
    with pytest.raises(ValueError, match="exclude_seen must be True or False"):
        model.recommend(INTERACTIONS, exclude_seen="yes")
    with pytest.raises(ValueError, match="return_scores must be True or False"):
        model.recommend(INTERACTIONS, return_scores="no")
    assert model.score(INTERACTIONS.astype(np.float16)) == model.score(INTERACTIONS)


# -- 7. alpha is applied by warm starts and partial_fit -----------------------------------------
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_changed_alpha_is_applied_when_training_continues(how):
    ae = Autoencoder(max_iter=3, random_state=0, warm_start=how == "warm_start").fit(X)
    steps = float(ae._optimizer.state_dict()["state"][0]["step"])
    ae.set_params(alpha=0.5)
    ae.partial_fit(X) if how == "partial_fit" else ae.fit(X)
    decays = sorted(g["weight_decay"] for g in ae._optimizer.param_groups)
    assert decays == [0.0, 0.5]  # weights decayed, biases not
    # Adam's moments carried over: the step count went on from where it was.
    assert ae._optimizer.state_dict()["state"][0]["step"] > steps


# -- 9. a network that outputs NaN says so ------------------------------------------------------
def test_nan_from_a_diverged_network_is_a_clear_error():
    vae = VariationalAutoencoder(max_iter=3, random_state=0).fit(X)
    with torch.no_grad():
        for p in vae.module_.parameters():
            p.mul_(1e20)  # what diverged training leaves: exp(logvar) overflows to inf - inf
    with pytest.raises(ValueError, match="produced NaN for 40 of 40 rows"):
        vae.score_samples(X)


def test_cdae_trains_with_early_stopping():
    # The user vectors were sized by the training part, while user ids are rows of X.
    import scipy.sparse as sp

    X = sp.csr_matrix(INTERACTIONS)
    model = CDAE(n_components=3, max_iter=3, early_stopping=True, random_state=0).fit(X)
    assert model.user_embeddings_.shape == (40, 3)
    assert len(model.validation_loss_curve_) == 3
