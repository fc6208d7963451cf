"""``StackedAutoencoder``: greedy layer-wise pretraining, then end-to-end fine-tuning."""

import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from skae._base import BaseAutoencoder
from skae._docs import fill_doc
from skae._engine import StreamedRows
from skae._estimator import store_init_params
from skae.autoencoders._autoencoder import Autoencoder
from skae.utils._distributed import current_shard
from skae.utils._interrupt import interrupts_end_enclosing_fit
from skae.utils._sklearn_compat import StrOptions

__all__ = ["StackedAutoencoder"]


def _as_numpy(array):
    """Training rows of a :class:`~skae._engine.BatchSource` as something ``fit`` accepts."""
    if isinstance(array, torch.Tensor):
        return array.detach().cpu().numpy()
    if isinstance(array, StreamedRows):
        return array.as_array()  # a memmap stays one: the layers stream it too
    return array  # scipy.sparse CSR: the layer estimators accept it as is


def _copy_layer(deep, layer_module, depth):
    """Copy a fitted one-layer autoencoder into level ``depth`` of the deep module.

    The layer's encoder reads its centred input, ``W (h - m) + b``; the deep network centres
    only the data, so deeper layers fold the mean into the bias: ``b' = b - W m``.
    """
    src = layer_module.encoder_layers[0]
    dst = deep.encoder_layers[depth]
    n_layers = deep.n_layers
    with torch.no_grad():
        dst.weight.copy_(src.weight)
        if depth == 0:
            dst.bias.copy_(src.bias)
            deep.center.mean.copy_(layer_module.center.mean)
        else:
            dst.bias.copy_(src.bias - src.weight @ layer_module.center.mean)
        # Decoder level ``n_layers - 1 - depth`` (0 reads the code) mirrors encoder ``depth``.
        if deep.tied_weights:
            deep.decoder_biases[n_layers - 1 - depth].copy_(layer_module.decoder_biases[0])
        else:
            src_dec = layer_module.decoder_layers[0]
            dst_dec = deep.decoder_layers[n_layers - 1 - depth]
            dst_dec.weight.copy_(src_dec.weight)
            dst_dec.bias.copy_(src_dec.bias)


@fill_doc
class StackedAutoencoder(Autoencoder):
    """Deep autoencoder with greedy layer-wise pretraining and end-to-end fine-tuning.

    With ``pretrain="greedy"`` each level ``n_features -> h_1 -> ... -> h_L = n_components`` is
    first trained as a one-layer autoencoder on the code of the level below (Bengio et al.,
    NIPS 2007; Vincent et al., JMLR 2010, sec. 3.5): a plain :class:`Autoencoder` by default,
    or a clone of ``pretrain_estimator`` (for instance a :class:`DenoisingAutoencoder` or a
    :class:`SparseAutoencoder`). The fitted levels are kept in ``estimators_``; their weights
    are copied into one deep network, encoder and mirrored decoder, which is then fine-tuned
    end to end on the reconstruction loss through the engine. With ``pretrain=None`` the deep
    network starts from random weights. Pretraining happens whenever a new network is started:
    in :meth:`fit` (unless ``warm_start``) and in the first call of :meth:`partial_fit`, on that
    call's data.

    The fine-tuned encoder is available as a standalone ``torch.nn.Module`` through
    :meth:`export_encoder`, to initialise a supervised network (Hinton & Salakhutdinov, 2006).

    Parameters
    ----------
    {autoencoder_params}

    {pretrain_params}

    {engine_params}

    {autoencoder_attributes_section}

    estimators_ : list of BaseAutoencoder
        The fitted one-layer autoencoders of the greedy phase, from the input upwards; empty
        when ``pretrain=None``.

    See Also
    --------
    Autoencoder : The same deep network, trained from random weights.

    References
    ----------
    .. [1] G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data with
       neural networks", Science 313(5786), 2006.
    .. [2] Y. Bengio, P. Lamblin, D. Popovici and H. Larochelle, "Greedy layer-wise training
       of deep networks", NIPS 2007.
    .. [3] P. Vincent et al., "Stacked denoising autoencoders", JMLR 11, 2010.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import DenoisingAutoencoder, StackedAutoencoder
    >>> X = load_digits().data / 16
    >>> sae = StackedAutoencoder(
    ...     n_components=8, hidden_layer_sizes=(32,), max_iter=10, random_state=0,
    ...     pretrain_estimator=DenoisingAutoencoder(noise_level=0.2, max_iter=5)).fit(X)
    >>> [est.n_components for est in sae.estimators_]
    [32, 8]
    >>> encoder = sae.export_encoder()  # a torch.nn.Module: x -> code
    >>> import torch
    >>> encoder(torch.tensor(X[:4], dtype=torch.float32)).shape
    torch.Size([4, 8])
    """

    _parameter_constraints = {
        **Autoencoder._parameter_constraints,
        "pretrain": [StrOptions({"greedy"}), None],
        "pretrain_estimator": [BaseAutoencoder, None],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(64,),
        activation="relu",
        code_activation="same",
        out_activation="auto",
        tied_weights=False,
        loss="squared",
        pretrain="greedy",
        pretrain_estimator=None,
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

    def _layer_template(self):
        if self.pretrain_estimator is not None:
            return clone(self.pretrain_estimator)
        return Autoencoder(
            alpha=self.alpha, learning_rate=self.learning_rate,
            learning_rate_init=self.learning_rate_init,
            batch_size=self.batch_size, max_iter=self.max_iter, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
        )

    def _pretrain_layers(self, X, generator):
        """Fit one autoencoder per level on the code of the level below (the greedy phase)."""
        sizes = [*self._hidden_sizes(), self.n_components]
        estimators = []
        # verbose: one bar over the levels, whose own fits are silent (rank 0 only when the
        # fit is data-parallel, as the engine's bar over the epochs).
        shard = current_shard()
        levels = tqdm(list(enumerate(sizes)), desc=f"{type(self).__name__} pre-training",
                      unit="level", leave=False,
                      disable=not self.verbose or (shard is not None and shard.rank != 0))
        for depth, size in levels:
            est = self._layer_template().set_params(
                n_components=size, hidden_layer_sizes=(), activation=self.activation,
                tied_weights=self.tied_weights, device=self.device, verbose=0,
                random_state=int(torch.randint(np.iinfo(np.int32).max, (1,),
                                               generator=generator)),
            )
            # The top level makes the code, so it takes the code activation; every level
            # below makes a hidden layer of the deep network.
            if "code_activation" in est.get_params(deep=False):
                top = depth == len(sizes) - 1
                est.set_params(
                    code_activation=self._code_activation() if top else self.activation)
            if depth == 0:
                est.set_params(loss=self.loss, out_activation=self.out_activation)
            else:
                est.set_params(loss="squared", out_activation=self.activation)
            with warnings.catch_warnings(), interrupts_end_enclosing_fit():
                # A fixed pretraining budget is expected to stop short of convergence. A
                # Ctrl-C in a level's fit ends this whole fit, not that level only.
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(X)
            estimators.append(est)
            if depth < len(sizes) - 1:
                X = est.transform(X)
        return estimators

    def pretrained_module(self, train, ctx):
        """A new network of this stack for ``train``, greedily pre-trained, not fitted.

        Pre-trained when ``pretrain="greedy"``; this estimator is left unfitted. The public
        way for another estimator to reuse the stack as its hidden layers (as
        :class:`~skae.StackedAutoencoderClassifier` does): it is the network :meth:`fit`
        would start fine-tuning from. The one-layer autoencoders of the greedy phase are
        recorded in ``ctx.fitted["estimators_"]``.

        Parameters
        ----------
        train : skae.base.BatchSource
            The training rows; its first array (or the one named ``"x"``) is the input.
        ctx : skae.base.StepContext
            The fit's context; its ``generator`` seeds the levels' fits.

        Returns
        -------
        module : skae.nn.MLPAutoencoder
            The network, on the CPU.
        """
        return self._build_module(train, ctx)

    def _build_module(self, train, ctx):
        module = super()._build_module(train, ctx)
        estimators = []
        if self.pretrain == "greedy":
            estimators = self._pretrain_layers(_as_numpy(train.arrays[0]), ctx.generator)
            for depth, est in enumerate(estimators):
                _copy_layer(module, est.module_, depth)
        ctx.fitted["estimators_"] = estimators
        return module

    def export_encoder(self):
        """The fitted encoder as a standalone ``torch.nn.Module`` (a deep copy, on the CPU).

        It maps a float32 tensor of shape ``(n, n_features_in_)`` to the codes, exactly as
        :meth:`transform` does, and can be trained further, e.g. under a classifier head.

        Returns
        -------
        encoder : torch.nn.Sequential
            Centring, then each encoder layer and its activation.
        """
        check_is_fitted(self)
        return self.module_.encoder().cpu()
