"""User callbacks, Ctrl-C, warnings that point at the user's line, all-or-nothing fits."""

import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skae import Autoencoder, AutoRecRegressor, MultVAE, NonFiniteLossError
from skae.callbacks import Checkpoint, EpochCallback


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:300] / 16


def _ae(**kw):
    return Autoencoder(**{"n_components": 4, "max_iter": 6, "random_state": 0, **kw})


def test_epoch_callback_sees_every_epoch_with_a_usable_fitted_copy(X):
    seen = []

    def log(logs, est):
        seen.append((logs["epoch"], logs["loss"], est.score(X[:20]), est.n_iter_))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = _ae(early_stopping=True, n_iter_no_change=100).set_callbacks(
            EpochCallback(log)).fit(X)
    assert [s[0] for s in seen] == list(range(1, 7))
    assert [s[1] for s in seen] == ae.loss_curve_
    assert [s[3] for s in seen] == list(range(1, 7))  # the copy reports the epochs so far
    assert seen[-1][2] > seen[0][2]  # the model the callback scored improved
    assert not hasattr(ae, "_callback_fit_ctx")  # scikit-learn's bookkeeping is gone


def test_epoch_callback_stops_training_without_a_convergence_warning(X):
    def stop_at_3(logs, est):
        return logs["epoch"] == 3

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae = _ae(max_iter=50).set_callbacks(EpochCallback(stop_at_3)).fit(X)
    assert ae.n_iter_ == 3 == len(ae.loss_curve_)
    # Stopping after epoch 3 gives exactly the model of a 3-epoch fit.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        three = _ae(max_iter=3).fit(X)
    np.testing.assert_array_equal(ae.transform(X), three.transform(X))


def test_callbacks_survive_clone_and_run_in_a_grid_search(X):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    calls = []
    ae = _ae(max_iter=2).set_callbacks(EpochCallback(lambda logs, est: calls.append(1)))
    assert clone(ae)._skl_callbacks == ae._skl_callbacks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GridSearchCV(ae, {"n_components": [2, 3]}, cv=2).fit(X)
    assert len(calls) == 2 * 2 * 2 + 2  # 2 candidates x 2 folds x 2 epochs, then the refit


def test_checkpoint_saves_the_best_weights_loadable_without_pickle(X, tmp_path):
    ckpt = Checkpoint(tmp_path / "best.pt", monitor="val_loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = _ae(max_iter=8, early_stopping=True, n_iter_no_change=100).set_callbacks(ckpt)
        ae.fit(X)
    best_epoch = int(np.argmin(ae.validation_loss_curve_)) + 1
    saved = torch.load(tmp_path / "best.pt", weights_only=True)
    assert saved["epoch"] == best_epoch == ckpt.saved_epochs_[-1]
    assert saved["val_loss"] == pytest.approx(min(ae.validation_loss_curve_))
    # early stopping restored the best weights: the checkpoint holds the same ones
    for k, v in ae.module_.state_dict().items():
        torch.testing.assert_close(saved["state_dict"][k], v)
    every = Checkpoint(tmp_path / "e{epoch}.pt", save_best_only=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _ae(max_iter=3).set_callbacks(every).fit(X)
    assert sorted(p.name for p in tmp_path.glob("e*.pt")) == ["e1.pt", "e2.pt", "e3.pt"]
    with pytest.raises(ValueError, match="early_stopping=True"):
        _ae(max_iter=2).set_callbacks(Checkpoint(tmp_path / "x.pt", monitor="val_loss")).fit(X)


@pytest.mark.parametrize("path, bad", [
    ("run{id}/e{epoch}.pt", "{id}"),
    ("best{}.pt", "{}"),
    ("best{0}.pt", "{0}"),
    ("e{epoch.real}.pt", "{epoch.real}"),
    ("model{.pt", "unmatched brace"),
    ("model}.pt", "unmatched brace"),
    ("e{epoch:q}.pt", "{epoch:q}"),
])
def test_checkpoint_refuses_a_bad_path_template_when_constructed(tmp_path, path, bad):
    # Before, the fit failed at the first save with KeyError (or IndexError, ValueError).
    with pytest.raises(ValueError, match=re.escape(bad)):
        Checkpoint(tmp_path / path)


def test_checkpoint_doubled_braces_and_epoch_formats(X, tmp_path):
    ckpt = Checkpoint(tmp_path / "{{run}}_e{epoch:02d}.pt", save_best_only=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _ae(max_iter=2).set_callbacks(ckpt).fit(X)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["{run}_e01.pt", "{run}_e02.pt"]


class _Interrupted(Autoencoder):
    """Raises KeyboardInterrupt at training step 15, as Ctrl-C would."""

    def _corrupt(self, x, ctx):
        # The training input of every step (the loss itself is left as Autoencoder's, so
        # this model trains exactly as the reference fit below does).
        if ctx.step == 15:
            raise KeyboardInterrupt
        return super()._corrupt(x, ctx)


def test_ctrl_c_ends_training_at_the_last_complete_epoch(X):
    # 300 rows, batches of 50: 6 steps an epoch; step 15 is in the middle of epoch 3.
    with pytest.warns(UserWarning, match="interrupted during epoch 3"):
        est = _Interrupted(n_components=4, max_iter=6, batch_size=50, random_state=0).fit(X)
    assert est.n_iter_ == 2 == len(est.loss_curve_)
    assert est._history.n_steps == 12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = _ae(max_iter=2, batch_size=50).fit(X)
    assert est.loss_curve_ == two.loss_curve_
    np.testing.assert_array_equal(est.transform(X), two.transform(X))


def test_convergence_warning_points_at_the_users_line(X):
    ratings_X = np.array([[u, i] for u in range(12) for i in range(6)])
    ratings_y = (ratings_X.sum(1) % 5 + 1).astype(float)
    cases = [
        (lambda: _ae(max_iter=2).fit(X)),
        (lambda: MultVAE(n_components=2, hidden_layer_sizes=(8,), max_iter=2,
                         random_state=0).fit((X > 0.5).astype(float))),
        (lambda: AutoRecRegressor(n_components=4, max_iter=2, random_state=0)
         .fit(ratings_X, ratings_y)),
    ]
    for fit in cases:
        with pytest.warns(ConvergenceWarning) as record:
            fit()
        assert [w.filename for w in record if w.category is ConvergenceWarning] == [__file__]


def test_a_failed_fit_leaves_a_fresh_estimator_unfitted(X):
    ae = _ae(learning_rate_init=1e30)
    with pytest.raises(NonFiniteLossError):
        ae.fit(X * 1e6)
    assert [k for k in vars(ae) if k.endswith("_")] == []
    with pytest.raises(NotFittedError):
        ae.transform(X)


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_failed_continuation_leaves_the_model_exactly_as_it_was(X, how):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = _ae(warm_start=how == "warm_start").fit(X)
    state = {k: v.clone() for k, v in ae.module_.state_dict().items()}
    opt_state = ae._optimizer.state_dict()["state"][0]["exp_avg"].clone()
    before = (ae.transform(X), list(ae.loss_curve_), ae.n_iter_, ae._history.n_steps)
    ae.set_params(learning_rate_init=1e30)
    with pytest.raises(NonFiniteLossError, match="left as it was"):
        if how == "partial_fit":
            ae.partial_fit(X * 1e6)
        else:
            ae.fit(X * 1e6)
    for k, v in ae.module_.state_dict().items():
        torch.testing.assert_close(v, state[k], rtol=0, atol=0)
    torch.testing.assert_close(ae._optimizer.state_dict()["state"][0]["exp_avg"], opt_state,
                               rtol=0, atol=0)
    np.testing.assert_array_equal(ae.transform(X), before[0])
    assert (ae.loss_curve_, ae.n_iter_, ae._history.n_steps) == tuple(before[1:])
