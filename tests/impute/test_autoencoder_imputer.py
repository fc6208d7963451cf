"""``AutoencoderImputer``: scikit-learn's imputer contract, the masked loss, bad input."""

import ast
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpydoc.docscrape import ClassDoc
from sklearn.base import clone
from sklearn.impute import KNNImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skae import AutoencoderImputer
from skae._engine import StepContext, batch_type
from skae.impute._patterns import _by_position, correlated_neighbours

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(n_components=8, hidden_layer_sizes=(16,), max_iter=5, random_state=0)


def _with_holes(X, rate, seed=0, marker=np.nan):
    """``X`` with a share ``rate`` of its entries, drawn at random, set to ``marker``."""
    missing = np.random.default_rng(seed).random(X.shape) < rate
    return np.where(missing, marker, X), missing


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((120, 2))
    X = latent @ rng.standard_normal((2, 6)) + 0.1 * rng.standard_normal((120, 6)) + 5.0
    X_missing, missing = _with_holes(X, 0.2)
    return X, X_missing, missing


# -- the contract: observed entries unchanged, only holes filled ---------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sample_posterior", [False, True])
def test_observed_entries_come_back_bit_identical(small, dtype, sample_posterior):
    _, X_missing, missing = small
    X_missing = X_missing.astype(dtype)
    out = AutoencoderImputer(sample_posterior=sample_posterior, **FAST).fit_transform(X_missing)
    assert out.dtype == dtype and out.shape == X_missing.shape
    assert np.array_equal(out[~missing], X_missing[~missing])
    assert np.isfinite(out).all()


def test_numeric_missing_marker(small):
    X, _, _ = small
    X_marked, missing = _with_holes(X, 0.2, marker=-1.0)
    out = AutoencoderImputer(missing_values=-1.0, **FAST).fit_transform(X_marked)
    assert np.array_equal(out[~missing], X_marked[~missing])
    assert not np.any(out[missing] == -1.0)
    # NaN is not the marker here: it is invalid input, as in scikit-learn's imputers.
    with pytest.raises(ValueError, match="NaN"):
        AutoencoderImputer(missing_values=-1.0, **FAST).fit(np.where(missing, np.nan, X))


def test_imputes_digits_better_than_knn(digits):
    # The proof of the issue: 30% of the entries missing completely at random; the error on
    # the hidden entries, in standardised units, is below KNNImputer's on the same data.
    X = digits[0] * 16
    X_missing, missing = _with_holes(X, 0.3, seed=1)
    scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)

    def rmse(X_filled):
        return np.sqrt(np.mean(((X_filled - X) / scale)[missing] ** 2))

    # Small and quick (a few seconds): one network of one hidden layer, 40 epochs at a large
    # step size.
    ours = AutoencoderImputer(n_components=64, hidden_layer_sizes=(256,), n_networks=1,
                              learning_rate_init=1e-2, max_iter=40, random_state=0)
    ours_error = rmse(ours.fit_transform(X_missing))
    knn_error = rmse(KNNImputer().fit_transform(X_missing))
    assert ours_error < knn_error


@pytest.mark.parametrize("sample_posterior", [False, True])
def test_reproducible_and_global_rng_untouched(small, sample_posterior):
    _, X_missing, _ = small
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    a = AutoencoderImputer(sample_posterior=sample_posterior, **FAST).fit_transform(X_missing)
    b = AutoencoderImputer(sample_posterior=sample_posterior, **FAST).fit_transform(X_missing)
    assert np.array_equal(a, b)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    c = AutoencoderImputer(sample_posterior=sample_posterior,
                           **{**FAST, "random_state": 1}).fit_transform(X_missing)
    assert not np.array_equal(a, c)


def test_failed_transform_leaves_the_imputer_usable(small):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(**FAST).fit(X_missing)
    before = imputer.transform(X_missing)
    with pytest.raises(ValueError, match="X has 5 features"):
        imputer.transform(X_missing[:, :5])
    assert np.array_equal(imputer.transform(X_missing), before)


def test_failed_fit_leaves_the_fitted_imputer_as_it_was(small):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(**FAST).fit(X_missing)
    before, mean = imputer.transform(X_missing), imputer.mean_.copy()
    bad = X_missing.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        imputer.fit(bad[:, :4])
    assert imputer.n_features_in_ == 6 and np.array_equal(imputer.mean_, mean)
    assert np.array_equal(imputer.transform(X_missing), before)


# -- the training objective ------------------------------------------------------------------
def test_loss_counts_observed_entries_only():
    imputer = AutoencoderImputer(noise_level=0.5, **FAST)
    torch.manual_seed(0)
    module = imputer._build_module(_source(4, 6), _ctx(0))
    x = torch.randn(4, 6)
    observed = (torch.rand(4, 6) > 0.3).float()
    changed = x + 100.0 * (1 - observed)  # different values where nothing was observed
    for training in (True, False):
        a = imputer._loss(module, _batch(x * observed, observed, observed), _ctx(1, training))
        b = imputer._loss(module, _batch(changed, observed, observed), _ctx(1, training))
        assert torch.allclose(a, b)


def test_visible_weight_weighs_the_entries_the_network_sees():
    # The training loss is a weighted mean: hidden entries weigh 1, visible ones
    # visible_weight. The same generator seed hides the same entries, so the loss of each
    # weight is computed here from one set of predictions and masks.
    torch.manual_seed(0)
    x = torch.randn(40, 6)
    observed = (torch.rand(40, 6) > 0.2).float()
    imputer = AutoencoderImputer(noise_level=0.5, n_networks=2, **{**FAST, "max_iter": 1})
    module = imputer._build_module(_source(40, 6), _ctx(0))
    visible = imputer._hide(observed, _ctx(1), copies=2)
    squared = (module(x * observed, visible) - x).square()
    hidden = observed - visible
    assert 0.3 < float(hidden.sum() / observed.sum()) < 0.7  # both kinds of entries
    for weight in (1.0, 0.25, 0.0):
        imputer.set_params(visible_weight=weight)
        loss = imputer._loss(module, _batch(x * observed, observed, observed), _ctx(1))
        expected = (squared * (hidden + weight * visible)).sum() / (hidden + weight * visible).sum()
        assert torch.allclose(loss, expected), (weight, loss, expected)
    # 0 scores the hidden entries only, 1 every observed entry (the masked mean).
    assert not torch.allclose((squared * hidden).sum() / hidden.sum(),
                              (squared * observed).sum() / observed.sum())


def test_training_hides_observed_entries_at_random_by_pattern_and_by_group():
    imputer = AutoencoderImputer(noise_level=0.3, hide_groups=1 / 3, **FAST)
    # Neighbours by column position, as fit finds them on data whose adjacent columns
    # correlate: a group is then a contiguous run of columns.
    imputer._neighbours = _by_position(np.arange(50), 50, 50)
    observed = torch.ones(3000, 50)
    observed[:1500, :10] = 0  # half the rows miss the first ten features
    copies = imputer._hide(observed, _ctx(0), copies=3)
    assert copies.shape == (3, *observed.shape)
    # Each side-by-side network gets its own hidden entries.
    assert not torch.equal(copies[0], copies[1]) and not torch.equal(copies[1], copies[2])
    visible = copies[1]
    assert torch.all(visible <= observed)  # nothing unobserved becomes visible
    hidden = (observed - visible)[1500:]  # the complete rows
    # A third of the rows (half of those without a group) take the pattern of another row,
    # half of which are incomplete: a sixth, exactly its holes.
    as_pattern = (hidden[:, :10].sum(1) == 10) & (hidden[:, 10:].sum(1) == 0)
    assert 0.12 < float(as_pattern.float().mean()) < 0.21
    # A third (hide_groups) hide a group: a random column and its neighbours, a contiguous
    # run here, of a share of the columns drawn as for the random rows. Runs of 3 or more:
    # (almost) only groups.
    count = hidden.sum(1)
    cols = torch.arange(50).float()
    first = torch.where(hidden > 0, cols, 50.0).min(1).values
    last = torch.where(hidden > 0, cols, -1.0).max(1).values
    as_group = ~as_pattern & (count >= 3) & (last - first + 1 == count)
    assert 0.26 < float(as_group.float().mean()) < 0.34
    assert abs(float(count[as_group].mean()) / 50 - 0.3) < 0.04
    # The other third are hidden at random, at a rate drawn in [0, 0.6] for each row: 0.3
    # on average.
    share = hidden.mean(1)
    at_random = ~as_pattern & ~as_group & (share > 0)
    assert 0.27 < float(at_random.float().mean()) < 0.37
    assert float(share[at_random].max()) < 0.9  # rates up to 0.6, on 50 entries
    assert abs(float(share[at_random].mean()) - 0.3) < 0.04
    assert torch.equal(imputer.set_params(noise_level=0.0)._hide(observed, _ctx(0))[0],
                       observed)


def test_neighbours_of_a_pixel_are_nearby_pixels(digits):
    # Found from the data alone, without the image shape: the 4 features whose observed
    # values correlate most with a pixel lie 1.56 pixels from it on average (median over the
    # 52 pixels that vary), where 4 pixels drawn at random lie 3.9 pixels away.
    X, _ = digits
    X_missing, missing = _with_holes(X, 0.2)
    Z = np.where(missing, 0.0, (X - X.mean(0)) / np.maximum(X.std(0), 1e-12))
    order = correlated_neighbours(Z, (~missing).astype(float))
    assert order.shape == (64, 64) and np.array_equal(order[:, 0], np.arange(64))
    row, col = np.divmod(order, 8)
    distance = np.hypot(row[:, 1:5] - row[:, :1], col[:, 1:5] - col[:, :1]).mean(1)
    varies = X.std(0) > 0.05
    assert np.median(distance[varies]) < 2.0
    # A constant pixel correlates with nothing: its neighbours are the adjacent columns.
    assert np.array_equal(order[0, :3], [0, 1, 2])


def test_fitted_on_scattered_holes_fills_blocks(digits):
    # Digits with 20% of the pixels missing at random in fit; a 4x4 block of each held-out
    # digit filled in: RMSE 0.249 with groups hidden in a third of the training rows, 0.253
    # without, 0.322 for the training means; 0.241 with the visible entries' loss weighed
    # down to 0.25 (emphasised denoising), 0.240 with both.
    X, _ = digits
    X_tr, X_te = X[:1200], X[1200:]
    X_fit, _ = _with_holes(X_tr, 0.2)
    rng = np.random.default_rng(0)
    block = np.zeros((len(X_te), 8, 8), dtype=bool)
    for k, (r, c) in enumerate(rng.integers(0, 5, (len(X_te), 2))):
        block[k, r:r + 4, c:c + 4] = True
    block = block.reshape(len(X_te), 64)

    def rmse(hide_groups, visible_weight=1.0):
        imputer = AutoencoderImputer(hide_groups=hide_groups, visible_weight=visible_weight,
                                     n_networks=1, max_iter=20, random_state=0).fit(X_fit)
        filled = imputer.transform(np.where(block, np.nan, X_te))
        return np.sqrt(np.mean((filled - X_te)[block] ** 2))

    with_groups, without = rmse(1 / 3), rmse(0.0)
    rmse_mean = np.sqrt(np.mean((np.nanmean(X_fit, axis=0) - X_te)[block] ** 2))
    assert with_groups < without < 0.8 * rmse_mean, (with_groups, without, rmse_mean)
    emphasised, both = rmse(0.0, 0.25), rmse(1 / 3, 0.25)
    assert max(emphasised, both) < with_groups, (emphasised, both, with_groups)


def test_early_stopping_holds_out_observed_entries(small):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(early_stopping=True, **FAST).fit(X_missing)
    assert len(imputer.validation_loss_curve_) == imputer.n_iter_
    with pytest.raises(ValueError, match="no training or no validation observed entries"):
        AutoencoderImputer(early_stopping=True, validation_fraction=0.01,
                           **FAST).fit(X_missing[:3])


def test_standardises_with_observed_statistics(small):
    X, X_missing, missing = small
    imputer = AutoencoderImputer(**FAST).fit(X_missing)
    for j in range(X.shape[1]):
        seen = X[~missing[:, j], j]
        assert imputer.mean_[j] == pytest.approx(seen.mean())
        assert imputer.scale_[j] == pytest.approx(seen.std())
    # Far from zero mean and unit scale in the data, near them inside: the imputations land
    # in the data's range.
    filled = imputer.transform(X_missing)[missing]
    assert X.min() - 3 < filled.min() and filled.max() < X.max() + 3


# -- bad and unusual input -------------------------------------------------------------------
def test_infinity_is_a_clear_error(small):
    _, X_missing, _ = small
    bad = X_missing.copy()
    bad[3, 2] = -np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        AutoencoderImputer(**FAST).fit(bad)
    imputer = AutoencoderImputer(**FAST).fit(X_missing)
    with pytest.raises(ValueError, match="Input X contains infinity"):
        imputer.transform(bad)


@pytest.mark.parametrize("marker", [np.nan, -1.0])
@pytest.mark.parametrize("scale", [1e154, 1e200, 1e20])
def test_values_whose_squares_overflow_are_a_clear_error(small, marker, scale):
    # Near 1e154 and above, the standardising variance overflowed and imputations were
    # +-inf; every other estimator refuses magnitudes whose float32 squares overflow.
    X, _, _ = small
    X_marked, _ = _with_holes(X, 0.2, marker=marker)
    bad = X_marked.copy()
    bad[:, 1] = np.where(np.isnan(bad[:, 1]) | (bad[:, 1] == -1.0), bad[:, 1], scale)
    bad[0, 1] = -scale
    params = dict(FAST, missing_values=marker)
    with pytest.raises(ValueError, match="squares overflow"):
        AutoencoderImputer(**params).fit(bad)
    imputer = AutoencoderImputer(**params).fit(X_marked)
    with pytest.raises(ValueError, match="squares overflow"):
        imputer.transform(bad)
    # The missing marker itself is never a value: a large one is accepted.
    big_marker = np.where(np.isnan(X_marked) | (X_marked == -1.0), -1e30, X_marked)
    out = AutoencoderImputer(**dict(FAST, missing_values=-1e30)).fit_transform(big_marker)
    assert np.isfinite(out).all()


def test_sparse_input_is_a_clear_error(small):
    X, _, _ = small
    with pytest.raises(TypeError, match="dense data is required"):
        AutoencoderImputer(**FAST).fit(sp.csr_matrix(X))


def test_no_missing_values_fits_and_transform_is_the_identity(small):
    X, X_missing, missing = small
    imputer = AutoencoderImputer(**FAST).fit(X)
    assert np.array_equal(imputer.transform(X), X)
    # New holes, in every feature (none had one in fit): filled.
    out = imputer.transform(X_missing)
    assert np.isfinite(out).all() and np.array_equal(out[~missing], X[~missing])


@pytest.mark.parametrize("keep", [False, True])
def test_all_missing_feature_follows_keep_empty_features(small, keep):
    _, X_missing, missing = small
    X_empty = X_missing.copy()
    X_empty[:, 2] = np.nan
    imputer = AutoencoderImputer(keep_empty_features=keep, **FAST).fit(X_empty)
    out = imputer.transform(X_empty)
    names = imputer.get_feature_names_out()
    if keep:
        assert out.shape == X_empty.shape and np.all(out[:, 2] == 0)
        assert list(names) == [f"x{j}" for j in range(6)]
    else:
        assert out.shape == (X_empty.shape[0], 5)
        assert "x2" not in names and len(names) == 5
    assert np.isfinite(out).all()
    # Values in that feature at transform are kept where given, or dropped with it.
    X_back = X_missing.copy()
    out = imputer.transform(X_back)
    if keep:
        seen = ~missing[:, 2]
        assert np.array_equal(out[seen, 2], X_back[seen, 2]) and np.all(out[~seen, 2] == 0)


def test_everything_missing(small):
    X = np.full((10, 3), np.nan)
    out = AutoencoderImputer(keep_empty_features=True, **FAST).fit_transform(X)
    assert np.array_equal(out, np.zeros((10, 3)))
    assert AutoencoderImputer(**FAST).fit_transform(X).shape == (10, 0)


def test_rows_without_holes_skip_the_network(small):
    X, X_missing, missing = small
    imputer = AutoencoderImputer(**FAST).fit(X_missing)
    mixed = np.vstack([X[:5], X_missing[:5]])
    out = imputer.transform(mixed)
    assert np.array_equal(out[:5], X[:5])
    assert np.array_equal(out[5:], imputer.transform(X_missing[:5]))


# -- scikit-learn integration ----------------------------------------------------------------
def test_add_indicator_and_feature_names(small):
    pd = pytest.importorskip("pandas")
    _, X_missing, missing = small
    X_missing = X_missing.copy()
    X_missing[:, 4] = np.where(np.isnan(X_missing[:, 4]), 0.0, X_missing[:, 4])  # no hole
    frame = pd.DataFrame(X_missing, columns=[f"f{j}" for j in range(6)])
    imputer = AutoencoderImputer(add_indicator=True, **FAST).set_output(transform="pandas")
    out = imputer.fit_transform(frame)
    expected = [f"f{j}" for j in range(6)] + [f"missingindicator_f{j}" for j in (0, 1, 2, 3, 5)]
    assert list(out.columns) == expected
    assert np.array_equal(out.iloc[:, 6:].to_numpy(), np.isnan(X_missing)[:, [0, 1, 2, 3, 5]])
    assert list(imputer.get_feature_names_out()) == expected


def test_tags():
    tags = AutoencoderImputer().__sklearn_tags__()
    assert tags.input_tags.allow_nan
    assert not AutoencoderImputer(missing_values=-1).__sklearn_tags__().input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == ["float64", "float32"]


def test_pipeline_and_grid_search(digits):
    X, y = digits
    X_missing, _ = _with_holes(X[:300], 0.2)
    pipe = make_pipeline(AutoencoderImputer(**FAST), LogisticRegression(max_iter=200))
    search = GridSearchCV(pipe, {"autoencoderimputer__noise_level": [0.1, 0.4]}, cv=2)
    search.fit(X_missing, y[:300])
    assert search.best_score_ > 0.5
    assert search.predict(X_missing[:7]).shape == (7,)


def test_pickle_round_trip(small):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(sample_posterior=True, **FAST).fit(X_missing)
    again = pickle.loads(pickle.dumps(imputer))
    assert np.array_equal(again.transform(X_missing), imputer.transform(X_missing))


def test_warm_start_continues_training(small):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(warm_start=True, **FAST).fit(X_missing)
    mean = imputer.mean_.copy()
    imputer.fit(X_missing[:60] + 1.0)
    assert imputer.n_iter_ == 2 * FAST["max_iter"]
    assert np.array_equal(imputer.mean_, mean)  # the first fit's standardisation is kept


def test_documented_defaults_match_the_signature():
    # Some engine defaults differ from other estimators' and are rewritten in the shared
    # docstring fragment: every "default=" the docstring states must be the signature's.
    params = {p.name: p.type for p in ClassDoc(AutoencoderImputer, config={})["Parameters"]}
    for name, value in AutoencoderImputer().get_params().items():
        shown = params[name].rsplit("default=", 1)[1]
        if name == "missing_values":
            assert shown == "np.nan" and np.isnan(value)
        else:
            assert ast.literal_eval(shown) == value, (name, shown)


# -- sample_posterior: draws from the VAE (MIWAE) --------------------------------------------
def test_posterior_draws_vary_and_are_keyed_by_row(small):
    X, X_missing, missing = small
    imputers = [AutoencoderImputer(sample_posterior=True, **{**FAST, "random_state": s})
                .fit(X_missing) for s in range(3)]
    draws = np.stack([imp.transform(X_missing) for imp in imputers])
    # Multiple imputation: the imputations differ between random states...
    assert np.all(draws[:, missing].std(axis=0) > 0)
    # ...and a row's draw does not depend on the rows it comes with.
    first = imputers[0]
    order = np.random.default_rng(0).permutation(len(X_missing))
    assert np.array_equal(first.transform(X_missing[order]), draws[0][order])
    assert np.array_equal(first.transform(X_missing[:7]), draws[0][:7])


def test_miwae_bound_with_one_draw_is_the_elbo_of_observed_entries():
    from skae.nn._impute import MaskedVAE
    from skae.nn._variational import gaussian_kl

    torch.manual_seed(0)
    vae = MaskedVAE(5, (8,), 3)
    x, mask = torch.randn(4, 5), (torch.rand(4, 5) > 0.4).float()
    eps = torch.randn(4, 1, 3)
    mu, logvar = vae.posterior(x, mask)
    z = mu + torch.exp(0.5 * logvar) * eps[:, 0]
    var = torch.exp(vae.decoder_logvar())
    log_p = -0.5 * ((x - vae.decoder(z)) ** 2 / var + torch.log(2 * torch.pi * var))
    # One draw: the importance weight's log-ratio of prior to posterior at z is, in
    # expectation, the KL; the bound itself is log p(x_o|z) + log p(z) - log q(z|x_o).
    from skae.nn._variational import log_normal

    expected = (log_p * mask).sum(-1) + log_normal(z) - log_normal(z, mu, logvar)
    assert torch.allclose(vae.bound(x, mask, eps), expected, atol=1e-5)
    assert gaussian_kl(mu, logvar).shape == (4,)


def _source(n, d):
    from skae._engine import BatchSource

    zeros = np.zeros((n, d), np.float32)
    return BatchSource({"x": zeros, "observed": zeros, "target": zeros}, "cpu")


def _batch(x, observed, target):
    return batch_type(("x", "observed", "target"))(x, observed, target)


def _ctx(seed, training=True):
    from skae._engine import History

    return StepContext(torch.Generator().manual_seed(seed), torch.device("cpu"), History(),
                       training=training)


def test_clone_keeps_parameters():
    imputer = AutoencoderImputer(noise_level=0.4, sample_posterior=True, n_draws=3)
    assert clone(imputer).get_params() == imputer.get_params()


def test_warm_start_rejects_a_changed_network(small):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(warm_start=True, **FAST).fit(X_missing)
    n_iter = imputer.n_iter_
    imputer.set_params(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="hidden_layer_sizes=.* changed since the network"):
        imputer.fit(X_missing)
    assert imputer.n_iter_ == n_iter


@pytest.mark.parametrize("sample_posterior, size", [(False, 128), (True, 16)])
def test_auto_code_size(small, sample_posterior, size):
    _, X_missing, _ = small
    imputer = AutoencoderImputer(sample_posterior=sample_posterior, hidden_layer_sizes=(8,),
                                 max_iter=1, random_state=0).fit(X_missing)
    module = imputer.module_
    code = module.mu_head.out_features if sample_posterior else module.decoder[0].in_features
    assert code == size


def test_networks_side_by_side_are_averaged(small):
    # n_networks autoencoders differ (own initial weights and hidden entries) and transform
    # fills in their average.
    _, X_missing, missing = small
    imputer = AutoencoderImputer(**{**FAST, "n_networks": 3}).fit(X_missing)
    Z, observed = imputer._standardize(X_missing, missing)
    with torch.no_grad():
        each = imputer.module_(torch.from_numpy(Z), torch.from_numpy(observed)).numpy()
    assert each.shape == (3, *X_missing.shape)
    assert np.abs(each[0] - each[1]).max() > 1e-3
    mean = each.mean(axis=0) * imputer.scale_ + imputer.mean_
    filled = imputer.transform(X_missing)
    np.testing.assert_allclose(filled[missing], mean[missing], rtol=1e-5, atol=1e-5)
    one = each[0] * imputer.scale_ + imputer.mean_
    assert np.abs(filled[missing] - one[missing]).max() > 1e-3


@pytest.mark.parametrize("n_features, sample_posterior, wide", [
    (255, False, False), (256, False, True), (256, True, False)])
def test_auto_settings_follow_the_number_of_features(n_features, sample_posterior, wide):
    # "auto": from 256 features on (images), the denoising autoencoder gets two hidden layers,
    # groups hidden in a sixth of the training rows and half the step size; data with fewer
    # features (and the variational model) train as with the narrow settings.
    rng = np.random.default_rng(0)
    X = np.where(rng.random((30, n_features)) < 0.2, np.nan, rng.random((30, n_features)))
    imputer = AutoencoderImputer(sample_posterior=sample_posterior, max_iter=1, n_networks=1,
                                 n_draws=2, learning_rate="constant",
                                 random_state=0).fit(X)
    # The decoder mirrors the hidden layers: its layers' widths but the output's.
    hidden = [layer.out_features for layer in imputer.module_.decoder
              if hasattr(layer, "out_features")][:-1][::-1]
    assert hidden == ([512, 256] if wide else [256])
    assert (imputer._neighbours is not None) == wide  # groups need the neighbours
    assert imputer._setting("hide_groups") == (1 / 6 if wide else 0.0)
    # The engine's optimizer trains at the resolved step size (constant schedule: as set).
    assert imputer._optimizer.param_groups[0]["lr"] == (1.5e-3 if wide else 3e-3)
    # Explicit values win over "auto"; the narrow settings are the former defaults exactly.
    narrow = dict(hidden_layer_sizes=(256,), hide_groups=0.0, learning_rate_init=3e-3)
    imputer.set_params(**narrow)
    assert {n: imputer._setting(n) for n in narrow} == narrow
    assert imputer._training_config().learning_rate_init == 3e-3


def test_auto_defaults_equal_the_narrow_settings_on_narrow_data():
    # Below 256 features "auto" is the narrow settings: the same imputations, bit for bit.
    rng = np.random.default_rng(1)
    X = np.where(rng.random((60, 12)) < 0.2, np.nan, rng.random((60, 12)))
    auto = AutoencoderImputer(max_iter=3, random_state=0).fit_transform(X)
    narrow = AutoencoderImputer(hidden_layer_sizes=(256,), hide_groups=0.0,
                                learning_rate_init=3e-3, max_iter=3,
                                random_state=0).fit_transform(X)
    np.testing.assert_array_equal(auto, narrow)
