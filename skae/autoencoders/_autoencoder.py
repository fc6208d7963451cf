"""``Autoencoder``: the plain (linear, nonlinear or deep) autoencoder."""

import torch

from skae._base import BaseAutoencoder
from skae._docs import fill_doc
from skae._estimator import store_init_params
from skae.nn import ACTIVATIONS, LOSSES, MLPAutoencoder, reconstruction_loss
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

    {autoencoder_attributes_section}

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
        "out_activation": [StrOptions({"auto", *ACTIVATIONS})],
        "tied_weights": ["boolean"],
        "loss": [StrOptions(set(LOSSES))],
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
        store_init_params(self, locals())

    # -- configuration ---------------------------------------------------------------------
    def _check_params(self):
        super()._check_params()
        if (self.loss == "cross_entropy"
                and self.out_activation not in ("auto", "sigmoid")):
            raise ValueError(
                "loss='cross_entropy' needs out_activation='sigmoid' (or 'auto'); got "
                f"out_activation={self.out_activation!r}."
            )

    def _out_activation(self):
        """The output activation's name, ``"auto"`` resolved from the loss."""
        if self.out_activation == "auto":
            return "sigmoid" if self.loss == "cross_entropy" else "identity"
        return self.out_activation

    def _code_activation(self):
        """The code layer's activation name, ``"same"`` resolved to ``activation``."""
        return self.activation if self.code_activation == "same" else self.code_activation

    def _unit_interval_reason(self):
        if self.loss == "cross_entropy":
            return "loss='cross_entropy'", "loss='squared'"
        return None

    # -- what the engine calls -------------------------------------------------------------
    def _build_module(self, train, ctx):
        mean = self._input_mean(train)
        module = MLPAutoencoder(
            train.arrays[0].shape[1],
            self._hidden_sizes(),
            self.n_components,
            activation=self.activation,
            code_activation=self._code_activation(),
            out_activation=self._out_activation(),
            tied_weights=self.tied_weights,
            mean=mean,
            generator=ctx.generator,
        )
        # Start the reconstruction at the data mean (the logit of it for a sigmoid output).
        _, bias = module.decoder_linear(module.n_layers - 1)
        with torch.no_grad():
            if self._out_activation() == "sigmoid":
                bias.copy_(torch.logit(mean.clamp(1e-3, 1 - 1e-3)))
            elif self._out_activation() == "identity":
                bias.copy_(mean)
        return module

    def _backprop_plan(self, module):
        """The layers for :meth:`MLPAutoencoder.loss_and_gradients_` where a training step can
        take its gradients from it instead of autograd (the stock MLP, and the loss is the
        reconstruction term alone: no penalty, no overridden loss); None otherwise. Worked
        out once per epoch; the engine offers hand-written gradients only in one process."""
        if (type(self)._loss is Autoencoder._loss
                and type(self)._penalty is Autoencoder._penalty
                and isinstance(module, MLPAutoencoder)):
            return module.backprop_plan()
        return None

    def _corrupt(self, x, ctx):
        """The training input of a minibatch (the clean ``x``; denoising corrupts it)."""
        return x

    def _penalty(self, module, x, aux):
        """A regularisation term added to the reconstruction loss, or None."""
        return None

    def _loss(self, module, batch, ctx):
        x = batch.x
        if ctx.manual_gradients and ctx.training:
            try:
                plan = ctx.epoch_cache["backprop_plan"]
            except KeyError:
                plan = ctx.epoch_cache["backprop_plan"] = self._backprop_plan(module)
            if plan is not None:
                ctx.gradients_written = True
                return module.loss_and_gradients_(self._corrupt(x, ctx), x, self.loss, plan)
        logits, aux = module(self._corrupt(x, ctx) if ctx.training else x)
        loss = reconstruction_loss(self.loss, logits, x, module._out_act, reduction="mean")
        penalty = self._penalty(module, x, aux)
        return loss if penalty is None else loss + penalty

    # -- public API ------------------------------------------------------------------------
    def score_samples(self, X):
        """Negative reconstruction loss of each sample (higher is better).

        The loss is the one the model was trained with (mean over features of the squared
        error, or of the binary cross-entropy), without any regularisation term.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float32
            The negative loss of each sample, in float32 like the network that computes it:
            a float64 cast would claim a precision the scores do not have (batch and
            row-by-row results differ by ~1 ulp).
        """
        X = self._validate_predict_data(X)
        self._check_unit_interval(X)

        def neg_loss(module, x):
            logits, _ = module(x)
            return -reconstruction_loss(self.loss, logits, x, module._out_act)

        return self._predict_batches(X, neg_loss)

    @property
    def components_(self):
        """Encoder weights ``W``, (n_components, ``n_features_in_``), of a one-layer encoder."""
        layers = self.module_.encoder_layers
        if len(layers) != 1:
            raise AttributeError(
                "components_ is only defined for a single-layer encoder "
                "(hidden_layer_sizes=()); use module_.encoder_layers for deep models."
            )
        return layers[0].weight.detach().cpu().numpy().copy()
