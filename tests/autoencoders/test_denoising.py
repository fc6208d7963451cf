"""``DenoisingAutoencoder``: corrupted training input, clean target, noise-free inference."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from skae import Autoencoder, DenoisingAutoencoder
from skae._engine import StepContext, batch_type
from skae.nn import masking_noise

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SETTINGS = dict(n_components=32, max_iter=50, random_state=0)


@pytest.mark.parametrize("noise,level", [("gaussian", 0.3), ("masking", 0.3),
                                         ("salt_and_pepper", 0.2)])
def test_denoises_noisy_digits_better_than_plain(digits, noise, level):
    X, _ = digits
    X_tr, X_te = train_test_split(X, test_size=0.3, random_state=0)
    rng = np.random.default_rng(1)
    if noise == "gaussian":
        noisy = X_te + level * rng.standard_normal(X_te.shape)
    elif noise == "masking":
        noisy = X_te * (rng.random(X_te.shape) >= level)
    else:
        hit = rng.random(X_te.shape) < level
        noisy = np.where(hit, (rng.random(X_te.shape) < 0.5).astype(float), X_te)
    plain = Autoencoder(**SETTINGS).fit(X_tr)
    dae = DenoisingAutoencoder(noise=noise, noise_level=level, **SETTINGS).fit(X_tr)
    mse = lambda est: np.mean((est.reconstruct(noisy) - X_te) ** 2)  # noqa: E731
    assert mse(dae) < 0.9 * mse(plain)


def test_loss_compares_corrupted_reconstruction_with_clean_input(digits):
    X, _ = digits
    dae = DenoisingAutoencoder(n_components=8, noise="masking", noise_level=0.5, max_iter=2,
                               random_state=0).fit(X)
    x = torch.tensor(X[:50], dtype=torch.float32)
    ctx = StepContext(torch.Generator().manual_seed(7), torch.device("cpu"), dae._history)
    got = dae._loss(dae.module_, batch_type(("x",))(x), ctx)
    corrupted = masking_noise(x, 0.5, torch.Generator().manual_seed(7))
    expected = (dae.module_.decode(dae.module_.encode(corrupted)) - x).square().mean()
    torch.testing.assert_close(got, expected)
    # validation (training=False) sees the clean input: the same number score() reports
    clean = dae._loss(dae.module_, batch_type(("x",))(x), ctx.evaluation())
    assert clean.item() == pytest.approx(-dae.score(X[:50]), rel=1e-5)


class _RecordingDAE(DenoisingAutoencoder):
    def _corrupt(self, x, ctx):
        out = super()._corrupt(x, ctx)
        self.record_.append(out.detach().clone())
        return out


def test_fresh_corruption_for_every_minibatch_reproducible_from_seed(digits):
    X, _ = digits
    X = X[:64]
    torch_state = torch.get_rng_state()

    def run(seed):
        est = _RecordingDAE(n_components=4, max_iter=3, batch_size=64, random_state=seed)
        est.record_ = []
        est.fit(X)
        return est

    a, b, c = run(0), run(0), run(1)
    assert len(a.record_) == 3  # one full batch per epoch
    assert not torch.equal(a.record_[0], a.record_[1])
    assert all(torch.equal(u, v) for u, v in zip(a.record_, b.record_, strict=True))
    assert not torch.equal(a.record_[0], c.record_[0])
    assert torch.equal(torch_state, torch.get_rng_state())  # global RNG untouched
    assert not hasattr(a, "_train_generator")


def test_transform_adds_no_noise(digits):
    X, _ = digits
    dae = DenoisingAutoencoder(n_components=4, noise="gaussian", noise_level=1.0, max_iter=2,
                               random_state=0).fit(X)
    H = dae.transform(X)
    np.testing.assert_array_equal(H, dae.transform(X))
    with torch.no_grad():
        direct = dae.module_.encode(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(H, direct, rtol=1e-5, atol=1e-6)


def test_salt_and_pepper_uses_the_data_range(digits):
    X, _ = digits
    dae = DenoisingAutoencoder(noise="salt_and_pepper", noise_level=0.5, max_iter=1,
                               random_state=0).fit(3 * X - 1)
    assert dae._history.state["noise_range"] == pytest.approx((-1.0, 2.0))


def test_fraction_noise_level_above_one_is_rejected(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="must be in \\[0, 1\\]; got noise_level=1.5"):
        DenoisingAutoencoder(noise="masking", noise_level=1.5, max_iter=1).fit(X)
    with pytest.raises(ValueError, match="'noise' parameter"):
        DenoisingAutoencoder(noise="poisson", max_iter=1).fit(X)
    # a Gaussian standard deviation may exceed 1
    DenoisingAutoencoder(noise="gaussian", noise_level=1.5, max_iter=1).fit(X[:20])
