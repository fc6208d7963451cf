"""``DenoisingAutoencoder``: reconstruct the clean input from a corrupted copy."""

from numbers import Real

import numpy as np
import torch

from skae._docs import fill_doc
from skae._engine import StreamedRows
from skae._estimator import store_init_params
from skae.autoencoders._autoencoder import Autoencoder
from skae.nn import CORRUPTIONS
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["DenoisingAutoencoder"]


def _value_range(X):
    """Smallest and largest value of a training tensor or CSR matrix (implicit zeros included)."""
    if isinstance(X, torch.Tensor):
        lo, hi = torch.aminmax(X)
        return float(lo), float(hi)
    if isinstance(X, StreamedRows):
        return X.min_max()
    values = X.data
    if X.nnz < X.shape[0] * X.shape[1]:
        values = np.append(values, 0.0)
    return float(values.min()), float(values.max())


@fill_doc
class DenoisingAutoencoder(Autoencoder):
    """Denoising autoencoder: learn to undo a stochastic corruption of the input.

    Each training minibatch is corrupted afresh, ``x_tilde ~ q(x_tilde | x)``, with noise drawn
    from the estimator's own generator (seeded by ``random_state``), and the loss compares the
    reconstruction of ``x_tilde`` with the *clean* ``x``: ``l(g(f(x_tilde)), x)`` (Vincent et
    al., ICML 2008; JMLR 2010, sec. 3). Validation loss, :meth:`transform`,
    :meth:`reconstruct` and :meth:`score` never add noise; to denoise data, pass the noisy data
    to :meth:`reconstruct`.

    Parameters
    ----------
    {autoencoder_params}

    noise : {"gaussian", "masking", "salt_and_pepper"}, default="masking"
        The corruption process (Vincent et al., JMLR 2010, sec. 4.1):

        - ``"gaussian"``: add ``noise_level * N(0, 1)`` to every entry;
        - ``"masking"``: set a random fraction ``noise_level`` of the entries to 0;
        - ``"salt_and_pepper"``: set a random fraction ``noise_level`` of the entries to the
          smallest or largest value of the training data, by a fair coin flip.

    noise_level : float, default=0.25
        Standard deviation of the Gaussian noise, or fraction of corrupted entries (at most 1)
        for masking and salt-and-pepper noise.

    {engine_params}

    {autoencoder_attributes_section}

    See Also
    --------
    Autoencoder : The same model trained on clean inputs.

    References
    ----------
    .. [1] P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and composing
       robust features with denoising autoencoders", ICML 2008.
    .. [2] P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol, "Stacked
       denoising autoencoders", JMLR 11, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import DenoisingAutoencoder
    >>> X = load_digits().data / 16
    >>> dae = DenoisingAutoencoder(n_components=32, noise="gaussian", noise_level=0.5,
    ...                            max_iter=20, random_state=0).fit(X)
    >>> noisy = X + 0.5 * np.random.default_rng(0).standard_normal(X.shape)
    >>> denoised = dae.reconstruct(noisy)  # the noisy input, reconstructed: no noise added
    >>> bool(np.mean((denoised - X) ** 2) < 0.5 * np.mean((noisy - X) ** 2))
    True
    """

    _parameter_constraints = {
        **Autoencoder._parameter_constraints,
        "noise": [StrOptions(set(CORRUPTIONS))],
        "noise_level": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(),
        activation="relu",
        code_activation="same",
        out_activation="auto",
        tied_weights=False,
        loss="squared",
        noise="masking",
        noise_level=0.25,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level is the fraction of corrupted entries for noise={self.noise!r} "
                f"and must be in [0, 1]; got noise_level={self.noise_level}."
            )

    def _build_module(self, train, ctx):
        # Salt-and-pepper noise uses the extreme values of the data the model started on;
        # kept in the training state, so warm starts corrupt with the same values.
        ctx.state["noise_range"] = _value_range(train.arrays[0])
        return super()._build_module(train, ctx)

    def _corrupt(self, x, ctx):
        # Training minibatches only: a fresh corruption per minibatch, drawn from the fit's
        # generator, so it is reproducible from random_state.
        if self.noise == "salt_and_pepper":
            low, high = ctx.state["noise_range"]
            return CORRUPTIONS["salt_and_pepper"](x, self.noise_level, ctx.generator, low, high)
        return CORRUPTIONS[self.noise](x, self.noise_level, ctx.generator)
