"""VariationalAutoencoder: objective, likelihood bounds, sampling, errors, and real MNIST data."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.stats import multivariate_normal
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from skae import VariationalAutoencoder
from skae._engine import StepContext, batch_type
from skae.nn import (
    bernoulli_log_likelihood,
    gaussian_kl,
    gaussian_log_likelihood,
    importance_weighted_bound,
    log_normal,
    negative_elbo,
    reparameterize,
)
from tests.conftest import data_home_or_skip

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _vae(**kw):
    params = dict(n_components=3, hidden_layer_sizes=(32,), likelihood="bernoulli",
                  max_iter=5, batch_size=64, random_state=0)
    return VariationalAutoencoder(**{**params, **kw})


@pytest.fixture(scope="module")
def factor_data():
    """500 samples of a 2-factor linear Gaussian model in 5 dimensions."""
    rng = np.random.RandomState(0)
    W = rng.normal(size=(5, 2))
    return rng.normal(size=(500, 2)) @ W.T + 0.3 * rng.normal(size=(500, 5)) + 1.0


# -- the objective as pure functions --------------------------------------------------------
def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(7, 4, generator=g), torch.randn(7, 4, generator=g)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected)
    assert torch.all(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)) == 0)


def test_log_likelihoods_match_torch_distributions():
    g = torch.Generator().manual_seed(1)
    logits, x = torch.randn(5, 6, generator=g) * 5, torch.rand(5, 6, generator=g).round()
    expected = torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(-1)
    torch.testing.assert_close(bernoulli_log_likelihood(logits, x), expected)
    mean, logvar, y = torch.randn(5, 6, generator=g), torch.randn(6, generator=g), torch.randn(5, 6)
    expected = torch.distributions.Normal(mean, torch.exp(0.5 * logvar)).log_prob(y).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(mean, logvar, y), expected)
    standard = torch.distributions.Normal(0.0, 1.0).log_prob(y).sum(-1)
    torch.testing.assert_close(log_normal(y), standard)
    # Saturated logits stay finite: no log(0).
    assert torch.isfinite(bernoulli_log_likelihood(torch.tensor([[200.0, -200.0]]),
                                                   torch.tensor([[0.0, 1.0]]))).all()


def test_negative_elbo_and_importance_bound_by_hand():
    ll, mu, logvar = torch.tensor([-3.0]), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0]])
    # KL = 0.5 * (1 + 1 - 1 - 0) + 0 = 0.5
    torch.testing.assert_close(negative_elbo(ll, mu, logvar), torch.tensor([3.5]))
    torch.testing.assert_close(negative_elbo(ll, mu, logvar, beta=4.0), torch.tensor([5.0]))
    log_w = torch.log(torch.tensor([[1.0, 2.0, 3.0, 6.0]]))
    torch.testing.assert_close(importance_weighted_bound(log_w), torch.log(torch.tensor([3.0])))
    # Huge negative log-weights (probabilities far below float range) stay finite.
    assert torch.isfinite(importance_weighted_bound(torch.full((1, 3), -1e4))).all()


def test_reparameterize_uses_the_given_generator():
    mu, logvar = torch.zeros(1000, 2), torch.full((1000, 2), np.log(4.0))
    a = reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    b = reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    assert abs(a.std().item() - 2.0) < 0.15


# -- the estimator ----------------------------------------------------------------------------
def test_default_constructor_passes_check_estimator():
    results = check_estimator(VariationalAutoencoder(), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 40


def test_kl_term_is_in_the_loss_nonzero_and_moves(digits):
    X, _ = digits
    vae = _vae(beta=1.0).partial_fit(X)
    x = torch.tensor(X, dtype=torch.float32)

    def mean_kl():
        with torch.no_grad():
            return gaussian_kl(*vae.module_.posterior(x)).mean().item()

    def loss(beta):
        vae.set_params(beta=beta)
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(0)  # the same draw of z for both betas, inside a fork
            ctx = StepContext(None, torch.device("cpu"), vae._history, training=False)
            return vae._loss(vae.module_, batch_type(("x",))(x), ctx).item()

    kl_start = mean_kl()
    assert loss(2.0) - loss(1.0) == pytest.approx(kl_start, rel=1e-4)
    assert loss(1.0) - loss(0.0) == pytest.approx(kl_start, rel=1e-4)
    vae.set_params(beta=1.0)
    for _ in range(10):
        vae.partial_fit(X)
    kl_end = mean_kl()
    assert kl_start > 1e-3 and kl_end > 1e-3  # nats per sample
    assert abs(kl_end - kl_start) > 0.5 * max(kl_start, kl_end)


def test_transform_is_the_deterministic_posterior_mean(digits):
    X, _ = digits
    vae = _vae().fit(X)
    torch.manual_seed(0)
    H1 = vae.transform(X)
    torch.manual_seed(1)
    H2 = vae.transform(X)
    np.testing.assert_array_equal(H1, H2)
    with torch.no_grad():
        mu, _ = vae.module_.posterior(torch.tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(H1, mu.numpy(), rtol=1e-5, atol=1e-6)
    X_hat = vae.inverse_transform(H1)
    assert X_hat.shape == X.shape and X_hat.min() >= 0 and X_hat.max() <= 1
    np.testing.assert_allclose(vae.reconstruct(X), X_hat, atol=1e-6)


def test_fit_is_reproducible_and_leaves_global_rngs_alone(digits):
    X, _ = digits
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    a, b = _vae(random_state=7).fit(X), _vae(random_state=7).fit(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    c = _vae(random_state=8).fit(X)
    assert a.loss_curve_ != c.loss_curve_


def test_score_samples_reproducible_and_row_wise(digits):
    X, _ = digits
    vae = _vae(n_draws=5).fit(X)
    s = vae.score_samples(X[:50])
    np.testing.assert_array_equal(s, vae.score_samples(X[:50]))
    # A sample's score does not depend on the other rows or their order, nor on the format.
    np.testing.assert_allclose(vae.score_samples(X[:50][::-1])[::-1], s, rtol=1e-5)
    np.testing.assert_allclose(vae.score_samples(X[10:11]), s[10:11], rtol=1e-5)
    np.testing.assert_allclose(vae.score_samples(sp.csr_matrix(X[:50])), s, rtol=1e-5)
    assert s.dtype == np.float32 and np.all(s < 0)  # a Bernoulli log-probability is <= 0
    assert vae.score(X[:50]) == pytest.approx(float(np.mean(s, dtype=np.float64)))


def test_importance_weighted_bound_reaches_the_exact_likelihood(factor_data):
    # With linear encoder and decoder, p(x) = N(b, W W^T + D) in closed form: the
    # importance-weighted estimate must converge to it (Burda et al. 2016, Theorem 1).
    X = factor_data
    vae = VariationalAutoencoder(n_components=2, hidden_layer_sizes=(), max_iter=100,
                                 batch_size=50, learning_rate_init=1e-2, random_state=0).fit(X)
    dec = vae.module_.decoder[0]
    W, b = dec.weight.detach().double().numpy(), dec.bias.detach().double().numpy()
    D = np.exp(vae.module_.decoder_logvar().detach().double().numpy())
    exact = multivariate_normal(b, W @ W.T + np.diag(D)).logpdf(X)
    iwae = vae.set_params(n_draws=1000).score_samples(X)
    assert abs(iwae.mean() - exact.mean()) < 0.02
    assert np.abs(iwae - exact).max() < 0.15
    assert vae.set_params(n_draws=10).score(X) <= exact.mean() + 0.02


def test_sample_shape_range_and_seed(digits):
    X, _ = digits
    vae = _vae().fit(X)
    S = vae.sample(20, random_state=0)
    assert S.shape == (20, X.shape[1]) and S.dtype == np.float32
    assert S.min() >= 0 and S.max() <= 1
    np.testing.assert_array_equal(S, vae.sample(20, random_state=0))
    assert not np.array_equal(S, vae.sample(20, random_state=1))
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vae.sample(0)
    with pytest.raises(NotFittedError):
        _vae().sample(3)


def test_gaussian_likelihood_on_real_valued_data(digits):
    X, _ = digits
    Xs = (X - X.mean(0)) * 3.0  # real-valued, outside [0, 1]
    vae = _vae(likelihood="gaussian", max_iter=10).fit(Xs)
    scores = vae.score_samples(Xs)
    assert np.all(np.isfinite(scores))
    assert vae.loss_curve_[-1] < vae.loss_curve_[0]
    assert vae.sample(4, random_state=0).shape == (4, X.shape[1])
    # The decoder variance is floored: a constant feature keeps the density bounded.
    assert torch.all(vae.module_.decoder_logvar() >= vae.module_.out_logvar_min)


def test_likelihood_auto_follows_the_training_data(digits):
    X, _ = digits
    assert VariationalAutoencoder().likelihood == "auto"
    # Data in [0, 1] (here pixels / 16, and a sparse matrix, whose implicit zeros are in it):
    # Bernoulli, the same fit as asking for it.
    vae = _vae(likelihood="auto").fit(X)
    assert vae.likelihood_ == vae.module_.likelihood == "bernoulli"
    assert vae.loss_curve_ == _vae(likelihood="bernoulli").fit(X).loss_curve_
    assert _vae(likelihood="auto").fit(sp.csr_matrix(X)).likelihood_ == "bernoulli"
    assert np.all(vae.score_samples(X[:20]) < 0)  # log-probabilities of pixels: <= 0
    # Real-valued data: Gaussian. A new fit of the same estimator chooses again.
    Xs = (X - X.mean(0)) * 3.0
    vae.fit(Xs)
    assert vae.likelihood_ == vae.module_.likelihood == "gaussian"
    assert vae.loss_curve_ == _vae(likelihood="gaussian").fit(Xs).loss_curve_
    # Explicit choices are kept whatever the data.
    assert _vae(likelihood="gaussian").fit(X).likelihood_ == "gaussian"


def test_likelihood_auto_is_fixed_once_the_network_is_built(digits):
    X, _ = digits
    Xs = (X - X.mean(0)) * 3.0
    vae = _vae(likelihood="auto").fit(X)
    curve = list(vae.loss_curve_)
    match = r"likelihood_='bernoulli' \(chosen by likelihood='auto' .*\) needs data in \[0, 1\]"
    with pytest.raises(ValueError, match=match):
        vae.partial_fit(Xs)
    with pytest.raises(ValueError, match=match):
        vae.set_params(warm_start=True).fit(Xs)
    with pytest.raises(ValueError, match=match):
        vae.score_samples(Xs)
    assert vae.likelihood_ == "bernoulli" and vae.loss_curve_ == curve  # left as it was
    vae.partial_fit(X)  # data in [0, 1] continue the Bernoulli network
    assert vae.likelihood_ == "bernoulli" and vae.n_iter_ == len(curve) + 1
    # Gaussian chosen on real data stays Gaussian when continued on data in [0, 1].
    vae = _vae(likelihood="auto").fit(Xs).partial_fit(X)
    assert vae.likelihood_ == vae.module_.likelihood == "gaussian"


def test_early_stopping_and_pickle(digits):
    X, _ = digits
    vae = _vae(early_stopping=True, max_iter=8).fit(X)
    assert len(vae.validation_loss_curve_) == vae.n_iter_
    clone = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(clone.score_samples(X[:20]), vae.score_samples(X[:20]))
    np.testing.assert_array_equal(clone.transform(X[:20]), vae.transform(X[:20]))


def test_errors(digits):
    X, _ = digits
    with pytest.raises(ValueError, match=r"likelihood='bernoulli' needs data in \[0, 1\]"):
        _vae().fit(X * 16)
    vae = _vae().fit(X)
    with pytest.raises(ValueError, match=r"likelihood='bernoulli' needs data in \[0, 1\]"):
        vae.score_samples(-X)
    with pytest.raises(ValueError, match="expects codes with n_components=3"):
        vae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="'likelihood' parameter"):
        _vae(likelihood="poisson").fit(X)
    with pytest.raises(ValueError, match="'beta' parameter"):
        _vae(beta=-1.0).fit(X)
    with pytest.raises(ValueError, match="'n_draws' parameter"):
        _vae(n_draws=0).fit(X)
    with pytest.raises(AttributeError, match="has no attribute 'components_'"):
        _ = vae.components_


# -- real data: MNIST and Fashion-MNIST ---------------------------------------------------
@pytest.fixture(scope="module")
def mnist_run():
    data_home_or_skip("mnist/t10k-images-idx3-ubyte.gz")
    data_home_or_skip("fashion-mnist/t10k-images-idx3-ubyte.gz")
    from skae.datasets import load_fashion_mnist, load_mnist

    X, _ = load_mnist(return_X_y=True)
    X_test, y_test = load_mnist(subset="test", return_X_y=True)
    F_test, _ = load_fashion_mnist(subset="test", return_X_y=True)
    X = (X[:5000] / 255.0).astype(np.float32)
    X_test = (X_test[:1000] / 255.0).astype(np.float32)
    F_test = (F_test[:1000] / 255.0).astype(np.float32)
    # The default likelihood="auto": pixels in [0, 1] get a Bernoulli decoder.
    vae = VariationalAutoencoder(n_components=10, hidden_layer_sizes=(200,), batch_size=100,
                                 random_state=0)
    held_out = []
    for _ in range(5):
        vae.partial_fit(X)
        held_out.append(vae.score(X_test))
    return vae, X, X_test, y_test[:1000], F_test, held_out


def test_mnist_heldout_elbo_improves(mnist_run):
    vae, _, _, _, _, held_out = mnist_run
    assert vae.likelihood_ == "bernoulli"
    assert held_out[0] < 0  # log-probabilities in nats, not densities of continuous pixels
    assert held_out[-1] > held_out[0] + 10  # nats per image
    assert all(b > a for a, b in zip(held_out, held_out[1:], strict=False))


def test_mnist_vs_fashion_out_of_distribution(mnist_run):
    vae, _, X_test, _, F_test, _ = mnist_run
    s_in, s_out = vae.score_samples(X_test), vae.score_samples(F_test)
    assert s_in.mean() > s_out.mean() + 100
    # As a detector: AUROC of "MNIST vs Fashion-MNIST" from the score alone.
    from sklearn.metrics import roc_auc_score

    labels = np.r_[np.ones(len(s_in)), np.zeros(len(s_out))]
    assert roc_auc_score(labels, np.r_[s_in, s_out]) > 0.95


def test_mnist_iwae_is_tighter_than_elbo(mnist_run):
    vae, _, X_test, _, _, _ = mnist_run
    elbo = vae.set_params(n_draws=1).score(X_test[:200])
    iwae = vae.set_params(n_draws=50).score(X_test[:200])
    vae.set_params(n_draws=1)
    assert iwae > elbo


def test_mnist_samples_have_the_data_shape_and_range(mnist_run):
    vae, X, _, _, _, _ = mnist_run
    S = vae.sample(64, random_state=0)
    assert S.shape == (64, 784) and S.min() >= 0 and S.max() <= 1
    # Generated digits have ink in the middle and a dark border, like the data.
    img = S.reshape(-1, 28, 28)
    assert img[:, 8:20, 8:20].mean() > 3 * img[:, :3, :].mean()


# -- plots ------------------------------------------------------------------------------------
def test_plots(mnist_run):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skae.plotting import (
        plot_latent_map,
        plot_reconstructions,
        plot_samples,
        tile_images,
    )

    vae, _, X_test, y_test, _, _ = mnist_run
    ax = plot_samples(vae, 16, random_state=0)
    assert ax.images[0].get_array().shape == (4 * 29 - 1, 4 * 29 - 1)
    ax = plot_latent_map(vae, X_test[:300], y_test[:300], dims=(0, 1))
    assert len(ax.collections) == len(np.unique(y_test[:300]))
    fig = plot_reconstructions(vae, X_test, n_images=5)  # issue 3's plot works for a VAE
    assert sum(len(a.images) for a in fig.axes) == 10
    with pytest.raises(ValueError, match="dims must be two code dimensions"):
        plot_latent_map(vae, X_test[:10], dims=(0, 10))
    with pytest.raises(ValueError, match="Cannot infer a square image"):
        plot_samples(_vae().fit(np.random.RandomState(0).rand(20, 7)), 4)
    with pytest.raises(ValueError, match="images must have shape"):
        tile_images(np.zeros((2, 5)), (2, 2))
    plt.close("all")
