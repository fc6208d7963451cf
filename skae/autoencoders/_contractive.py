"""``ContractiveAutoencoder``: penalise the encoder's sensitivity to its input."""

from numbers import Real

from skae._docs import fill_doc
from skae._estimator import store_init_params
from skae.autoencoders._autoencoder import Autoencoder
from skae.nn import contractive_penalty_closed_form, contractive_penalty_exact
from skae.utils._sklearn_compat import Interval

__all__ = ["ContractiveAutoencoder"]


@fill_doc
class ContractiveAutoencoder(Autoencoder):
    """Contractive autoencoder: reconstruction loss plus the encoder's squared Jacobian norm.

    Minimises ``l(g(f(x)), x) + contraction_weight * ||J_f(x)||_F^2`` where ``J_f(x)`` is the
    Jacobian of the code with respect to the input (Rifai et al., ICML 2011, eq. 3). The
    penalty makes the code locally invariant to small input changes except along the
    directions the reconstruction needs.

    For a single-layer encoder (``hidden_layer_sizes=()``) the norm has the closed form
    ``sum_j f'(a_j)^2 sum_i W_ji^2``, with ``f'(a_j) = h_j (1 - h_j)`` for the sigmoid
    (Rifai et al., eq. 6); deeper encoders use the exact per-sample Jacobian by reverse-mode
    autodiff (``torch.func.vmap(jacrev(...))``), which costs ``n_components`` backward passes
    per minibatch. Unlike :class:`Autoencoder`, the default activation is the sigmoid, as in
    Rifai et al.

    Parameters
    ----------
    {autoencoder_params}

    contraction_weight : float, default=5e-3
        Weight ``lambda`` of the squared Frobenius norm of the Jacobian. The default shrinks
        the Jacobian visibly at less than twice the reconstruction error; Notes say on which
        data it was chosen.

    {engine_params}

    {autoencoder_attributes_section}

    See Also
    --------
    DenoisingAutoencoder : Robustness to finite input perturbations, learned by sampling.
    skae.nn.jacobian_frobenius_sq : The exact per-sample norm, for any encoder.

    Notes
    -----
    The default ``contraction_weight`` was chosen on scaled digits (``load_digits().data /
    16``; 1,257 training and 540 held-out images) and on MNIST (``/ 255``; the first 10,000
    training and the 10,000 test images), with 32 sigmoid codes and ``max_iter=150``, against
    a plain sigmoid :class:`Autoencoder` of the same shape trained alike. The bar: the mean
    Frobenius norm of the encoder's Jacobian on held-out images at least 2 times smaller (its
    square, the penalised quantity, 4 times), at a held-out reconstruction error within 2x of
    the plain autoencoder's. On digits (seeds 0-4) the norm is 2.2-2.3 times smaller (its
    square about 5 times) at 1.7-1.75 times the error; on MNIST 2.7 times smaller at the same
    error (0.99x). The former default, 0.1, shrank the norm 9-17 times but reconstructed
    digits 4.2-5.8 times worse; 7e-3 already costs 1.9x. The balance depends on the code
    size: on digits 64 codes need 2e-3 or less (2e-3: 1.8 times smaller norm at 2.0 times
    the error; 5e-3: 2.8 times the error), while 8 or 16 codes tolerate 1e-2 (1.9 and 2.4
    times smaller norm at 1.1 and 1.5 times the error). ``benchmarks/bench_defaults.py``
    reproduces these figures.

    References
    ----------
    .. [1] S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio, "Contractive
       auto-encoders: explicit invariance during feature extraction", ICML 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ContractiveAutoencoder
    >>> X = load_digits().data / 16
    >>> cae = ContractiveAutoencoder(n_components=16, contraction_weight=0.1, max_iter=10,
    ...                              random_state=0).fit(X)
    >>> cae.transform(X).shape
    (1797, 16)
    """

    _parameter_constraints = {
        **Autoencoder._parameter_constraints,
        "contraction_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(),
        activation="sigmoid",
        code_activation="same",
        out_activation="auto",
        tied_weights=False,
        loss="squared",
        contraction_weight=5e-3,
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

    def _penalty(self, module, x, aux):
        if self.contraction_weight == 0:
            return None
        if module.n_layers == 1:
            # J = diag(f'(a)) W: the closed form needs only the code and W (Rifai et al., eq. 6);
            # f is the code layer's activation, the only one a single-layer encoder has.
            norm = contractive_penalty_closed_form(
                aux["code"], module.encoder_layers[0].weight, self._code_activation()
            )
        else:
            norm = contractive_penalty_exact(module.encode, x)
        return self.contraction_weight * norm
