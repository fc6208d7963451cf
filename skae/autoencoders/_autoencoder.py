"""``Autoencoder``: the plain (linear, nonlinear or deep) autoencoder."""

from skae._base import BaseAutoencoder
from skae._docs import fill_doc
from skae.nn import ACTIVATIONS, MLPAutoencoder
from skae.utils._sklearn_compat import StrOptions

__all__ = ["Autoencoder"]


@fill_doc
class Autoencoder(BaseAutoencoder):
    """Autoencoder as a scikit-learn transformer.

    Learns an encoder ``h = f(x)`` and a decoder ``x_hat = g(h)`` that minimise the
    reconstruction loss ``l(g(f(x)), x)`` (Bengio, Courville & Vincent, 2013; Goodfellow et
    al., *Deep Learning*, ch. 14). :meth:`transform` returns the code ``h``;
    :meth:`inverse_transform` decodes codes. The input is centred with the training mean
    before encoding, and the decoder's output bias starts at that mean, which makes training
    markedly faster, in particular for linear autoencoders.

    Parameters
    ----------
    {autoencoder_params}

    {engine_params}

    Attributes
    ----------
    {engine_attributes}

    mean_ : ndarray of shape (``n_features_in_``,)
        Per-feature mean of the data of the first :meth:`fit` or :meth:`partial_fit` call,
        subtracted before encoding.

    components_ : ndarray of shape (n_components, ``n_features_in_``)
        Encoder weights ``W`` when the encoder is a single layer (``hidden_layer_sizes=()``),
        one row per code unit, as :attr:`sklearn.decomposition.PCA.components_`.

    See Also
    --------
    sklearn.decomposition.PCA : The linear, closed-form counterpart.
    sklearn.neural_network.MLPRegressor : A numpy MLP, trainable ``X -> X``.

    References
    ----------
    .. [1] P. Baldi and K. Hornik, "Neural networks and principal component analysis:
       learning from examples without local minima", Neural Networks 2(1), 1989.
    .. [2] Y. Bengio, A. Courville and P. Vincent, "Representation learning: a review and new
       perspectives", IEEE TPAMI 35(8), 2013.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = Autoencoder(n_components=8, hidden_layer_sizes=(32,), max_iter=20,
    ...                  random_state=0).fit(X / 16)
    >>> H = ae.transform(X / 16)
    >>> H.shape, H.dtype
    ((1797, 8), dtype('float32'))
    >>> ae.inverse_transform(H).shape
    (1797, 64)
    """

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "code_activation",
                          "out_activation", "tied_weights", "loss", "device")

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "code_activation": [StrOptions({"same", *ACTIVATIONS})],
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
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.code_activation = code_activation
        self.out_activation = out_activation
        self.tied_weights = tied_weights
        self.loss = loss
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _build_module(self, source, generator):
        mean = self._input_mean(source)
        module = MLPAutoencoder(
            source.arrays[0].shape[1],
            self._hidden_sizes(),
            self.n_components,
            activation=self.activation,
            code_activation=self._code_activation(),
            out_activation=self._out_activation(),
            tied_weights=self.tied_weights,
            mean=mean,
            generator=generator,
        )
        self._init_output_bias(module, mean)
        return module

    def _code_activation(self):
        """The code layer's activation name, ``"same"`` resolved to ``activation``."""
        return self.activation if self.code_activation == "same" else self.code_activation
