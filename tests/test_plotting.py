"""``skae.plotting``: filters, reconstructions and loss curves (Agg backend, contents checked)."""

import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from skae import Autoencoder, DenoisingAutoencoder  # noqa: E402
from skae.plotting import plot_filters, plot_loss_curve, plot_reconstructions  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return X, Autoencoder(n_components=12, hidden_layer_sizes=(20,), max_iter=3,
                          early_stopping=True, random_state=0).fit(X)


def _tiles(fig):
    return [im for ax in fig.axes for im in ax.images]


def test_import_skae_does_not_import_matplotlib():
    code = "import sys, skae, skae.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plot_filters_one_tile_per_unit_of_the_first_layer(fitted):
    _, ae = fitted
    fig = plot_filters(ae, n_cols=5)
    tiles = _tiles(fig)
    assert len(tiles) == 20  # first (hidden) layer of a deep encoder: 20 units
    W = ae.module_.encoder_layers[0].weight.detach().numpy()
    np.testing.assert_allclose(tiles[3].get_array(), W[3].reshape(8, 8), rtol=1e-6)
    assert len(fig.axes) == 20  # 4 rows of 5
    assert len(_tiles(plot_filters(ae, n_filters=7))) == 7


def test_plot_filters_takes_weight_arrays_and_checks_shapes(digits):
    X, _ = digits
    pca = PCA(9).fit(X)
    assert len(_tiles(plot_filters(pca.components_))) == 9
    with pytest.raises(ValueError, match="Cannot infer a square image from 10 features"):
        plot_filters(np.zeros((3, 10)))
    assert len(_tiles(plot_filters(np.zeros((3, 10)), image_shape=(2, 5)))) == 3
    with pytest.raises(ValueError, match="2-D weight array"):
        plot_filters(np.zeros(64))


def test_plot_reconstructions_rows(fitted):
    X, ae = fitted
    fig = plot_reconstructions(ae, X, n_images=6)
    tiles = _tiles(fig)
    assert len(tiles) == 12
    np.testing.assert_allclose(tiles[0].get_array(), X[0].reshape(8, 8))
    np.testing.assert_allclose(tiles[6].get_array(), ae.reconstruct(X[:6])[0].reshape(8, 8),
                               rtol=1e-6)
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == ["original",
                                                                       "reconstruction"]


def test_plot_reconstructions_noisy_row_shows_denoised(digits):
    X, _ = digits
    dae = DenoisingAutoencoder(n_components=8, max_iter=2, random_state=0).fit(X)
    noisy = X * (np.random.default_rng(0).random(X.shape) > 0.3)
    fig = plot_reconstructions(dae, X, X_noisy=noisy, n_images=4)
    tiles = _tiles(fig)
    assert len(tiles) == 12
    np.testing.assert_allclose(tiles[4].get_array(), noisy[0].reshape(8, 8))
    np.testing.assert_allclose(tiles[8].get_array(), dae.reconstruct(noisy[:4])[0].reshape(8, 8),
                               rtol=1e-6)
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == ["original", "noisy",
                                                                       "denoised"]
    with pytest.raises(ValueError, match="X_noisy must have the shape of X"):
        plot_reconstructions(dae, X, X_noisy=noisy[:, :10], n_images=4)


def test_plot_reconstructions_accepts_pca(digits):
    X, _ = digits
    assert len(_tiles(plot_reconstructions(PCA(5).fit(X), X, n_images=3))) == 6


def test_plot_loss_curve_lines(fitted, digits):
    X, ae = fitted
    ax = plot_loss_curve(ae)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["Autoencoder (training)",
                                                    "Autoencoder (validation)"]
    np.testing.assert_allclose(lines[0].get_ydata(), ae.loss_curve_)
    np.testing.assert_allclose(lines[1].get_ydata(), ae.validation_loss_curve_)
    other = Autoencoder(n_components=2, max_iter=4, random_state=0).fit(X)
    ax = plot_loss_curve({"a": ae, "b": other}, log_scale=True)
    assert len(ax.get_lines()) == 3 and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="has no loss_curve_"):
        plot_loss_curve(PCA(2))
