"""``DocumentAutoencoder``: codes of bag-of-words documents, real or binary (semantic hashing)."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
import torch

from skae._base import BaseAutoencoder, _validate_dense_or_csr
from skae._docs import DOCS, fill_doc
from skae._engine import column_sums
from skae._estimator import store_init_params
from skae.nn import inverted_dropout
from skae.nn._document import WEIGHTINGS, DocumentMLP, weight_words
from skae.utils._sklearn_compat import Interval, StrOptions
from skae.utils._validation import check_float32_range

__all__ = ["DocumentAutoencoder"]

BINARY_METHODS = ("straight_through", "noise")

# 60 epochs with a cosine-annealed step size: on held-out parts of the training sets of 20
# Newsgroups and Reuters, the cheapest setting within 0.005 of the best precision at 100 for
# both real (10-D) and binary (32-bit) codes (doc/benchmarks.rst).
# fill_doc writes this class's own defaults (cosine schedule, 60 epochs) into the fragment.
_ENGINE_PARAMS = DOCS["engine_params"]


def _check_counts(X, name):
    """ValueError unless every value of ``X`` (dense or CSR) is non-negative."""
    data = X.data if sp.issparse(X) else X
    if data.size and data.min() < 0:
        raise ValueError(
            f"Negative values in data passed to {name}, which needs non-negative word counts "
            f"(or weights such as tf-idf); the smallest is {float(data.min()):.4g}."
        )


@fill_doc(engine_params=_ENGINE_PARAMS)
class DocumentAutoencoder(BaseAutoencoder):
    """Deep autoencoder of bag-of-words documents: real codes, or binary codes for hashing.

    The input is a document x word matrix of counts, preferably sparse (CSR); only one
    minibatch is ever dense. Each document is weighted (``weighting``), scaled to unit length,
    centred, and encoded by a multilayer perceptron to a code of ``n_components`` units; the
    mirrored decoder outputs a probability for every word, and training maximises the
    multinomial log-likelihood of the document's words, ``sum_i x_i log p_i`` (Liang et al.,
    2018, eq. 2; the constrained Poisson of Salakhutdinov & Hinton, 2009, is this multinomial
    times a Poisson on the document's length). The default shape, ``n_words-500-250-125-10``,
    is the document autoencoder of Hinton & Salakhutdinov (Science 2006), whose codes retrieve
    documents of the same topic far better than latent semantic analysis (LSA) of the same
    size. Words are dropped at random from the input during training (``noise_level``), which
    makes the codes robust to the words a short document happens to use.

    With ``binary=True`` the code units are bits: :meth:`transform` returns 0/1 codes
    (uint8), and documents are compared by Hamming distance, the *semantic hashing* of
    Salakhutdinov & Hinton (2009). The bits are trained end to end (``binary_method``).

    Parameters
    ----------
    n_components : int, default=10
        Size of the code (bits when ``binary``). The default is the 10-D code of Hinton &
        Salakhutdinov's document autoencoder (Science 2006).

    hidden_layer_sizes : tuple of int, default=(500, 250, 125)
        Sizes of the encoder's hidden layers; the decoder mirrors them.

    activation : {"tanh", "sigmoid", "relu", "identity"}, default="tanh"
        Activation of the hidden layers. The code units are linear, or bits.

    weighting : {"tfidf", "log", "l2"}, default="tfidf"
        Weighting of the counts before they are scaled to unit length: ``"tfidf"``,
        ``log(1 + count) * idf`` with the inverse document frequencies of the training data
        (``idf_``); ``"log"``, ``log(1 + count)``; ``"l2"``, the counts themselves (Mult-DAE).
        The likelihood always models the counts.

    binary : bool, default=False
        Learn binary codes: :meth:`transform` returns uint8 bits.

    binary_method : {"straight_through", "noise"}, default="straight_through"
        How the bits are trained, with ``binary=True``. ``"straight_through"`` draws each bit
        from ``Bernoulli(sigmoid(a))`` and backpropagates through ``sigmoid(a)`` (NASH, Shen
        et al. 2018); ``"noise"`` adds Gaussian noise of standard deviation ``code_noise`` to
        ``a`` before the sigmoid, which drives the units to 0 or 1 (Salakhutdinov & Hinton,
        2009). Either way a bit is ``sigmoid(a) > 0.5`` once trained.

    code_noise : float, default=4.0
        Standard deviation of the code noise of ``binary_method="noise"`` (Salakhutdinov &
        Hinton used variance 16).

    noise_level : float, default=0.5
        Probability of dropping each word of a training document from the encoder's input
        (masking noise; the likelihood still scores every word).

    {engine_params}

    Attributes
    ----------
    idf_ : ndarray of shape (``n_features_in_``,)
        Smoothed inverse document frequency of each word in the training data of the fit
        that built the network, ``log((1 + n) / (1 + df)) + 1`` (scikit-learn's
        ``TfidfTransformer``); used by ``weighting="tfidf"``.

    mean_ : ndarray of shape (``n_features_in_``,)
        Mean of the weighted, unit-length training input, subtracted before encoding.

    {engine_attributes}

    See Also
    --------
    sklearn.decomposition.TruncatedSVD : LSA, the linear baseline (on tf-idf).
    MultDAE : The multinomial denoising autoencoder for top-N recommendation.
    skae.neighbors.hamming_kneighbors : Hamming ranking of binary codes.
    skae.metrics.retrieval_precision_at_k : Precision of retrieved documents.

    Notes
    -----
    Hinton & Salakhutdinov pre-trained their network layer by layer as restricted Boltzmann
    machines; here it is trained from a Glorot initialisation with Adam, without
    pre-training, the input centred and of unit length. The defaults (shape aside) were
    chosen on held-out parts of the training sets of 20 Newsgroups and Reuters-21578; the
    benchmarks page gives the retrieval precision they reach beside LSA's and MultDAE's.

    References
    ----------
    .. [1] G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data with
       neural networks", Science 313(5786), 2006.
    .. [2] R. Salakhutdinov and G. Hinton, "Semantic hashing", International Journal of
       Approximate Reasoning 50(7), 2009.
    .. [3] D. Shen, Q. Su, P. Chapfuwa, W. Wang, G. Wang, L. Carin and R. Henao, "NASH: Toward
       end-to-end neural architecture for generative semantic hashing", ACL 2018.
    .. [4] D. Liang, R. G. Krishnan, M. D. Hoffman and T. Jebara, "Variational autoencoders for
       collaborative filtering", WWW 2018.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from skae import DocumentAutoencoder
    >>> rng = np.random.RandomState(0)
    >>> X = sp.csr_matrix(rng.poisson(0.3, size=(100, 50)).astype(np.float32))
    >>> ae = DocumentAutoencoder(n_components=4, hidden_layer_sizes=(16,), max_iter=5,
    ...                          random_state=0).fit(X)
    >>> ae.transform(X).shape
    (100, 4)
    >>> bits = DocumentAutoencoder(n_components=8, hidden_layer_sizes=(16,), binary=True,
    ...                            max_iter=5, random_state=0).fit(X).transform(X)
    >>> bits.shape, bits.dtype, set(np.unique(bits)) <= {0, 1}
    ((100, 8), dtype('uint8'), True)
    """

    _structural_params = ("n_components", "hidden_layer_sizes", "activation", "weighting",
                          "binary", "binary_method", "device")

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "weighting": [StrOptions(set(WEIGHTINGS))],
        "binary": ["boolean"],
        "binary_method": [StrOptions(set(BINARY_METHODS))],
        "code_noise": [Interval(Real, 0, None, closed="left")],
        "noise_level": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        n_components=10,
        *,
        hidden_layer_sizes=(500, 250, 125),
        activation="tanh",
        weighting="tfidf",
        binary=False,
        binary_method="straight_through",
        code_noise=4.0,
        noise_level=0.5,
        alpha=0.0,
        learning_rate="cosine",
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=60,
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

    # -- data ------------------------------------------------------------------------------
    def _validate_fit_data(self, X, reset):
        X = check_float32_range(_validate_dense_or_csr(self, X, reset=reset))
        _check_counts(X, type(self).__name__)
        return X

    def _validate_predict_data(self, X):
        X = super()._validate_predict_data(X)
        _check_counts(X, type(self).__name__)
        return X

    # -- what the engine calls -------------------------------------------------------------
    def _build_module(self, train, ctx):
        n = len(train)
        df = column_sums(train, lambda x: (x > 0).float())
        # Smoothed idf, as scikit-learn's TfidfTransformer(smooth_idf=True).
        idf = (torch.log((1.0 + n) / (1.0 + df)) + 1.0).float()
        mean = column_sums(train, lambda x: weight_words(x, self.weighting, idf)) / max(n, 1)
        module = DocumentMLP(
            train.arrays[0].shape[1], self._hidden_sizes(), self.n_components,
            self.activation, self.weighting, idf, mean.float(),
            binary=self.binary_method if self.binary else None, generator=ctx.generator)
        # Start the output at the words' share of all counts: the multinomial's best fit
        # without a code, so that the first updates go to what the code adds.
        counts = column_sums(train)
        with torch.no_grad():
            module.decoder_layers[-1].bias.copy_(
                torch.log(counts / counts.sum().clamp_min(1e-12) + 1e-8).float())
        return module

    def _loss(self, module, batch, ctx):
        x = batch[0]
        if ctx.training:
            logits, _ = module(inverted_dropout(x, self.noise_level, ctx.generator),
                               generator=ctx.generator, noise_level=self.code_noise)
        else:
            logits, _ = module(x)
        return -(torch.log_softmax(logits, dim=1) * x).sum(dim=1).mean()

    # -- public API ------------------------------------------------------------------------
    def transform(self, X):
        """Encode documents: real codes, or bits when ``binary``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Word counts, one row per document.

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            The float32 codes, or uint8 bits (0 or 1) when ``binary`` is True.
        """
        H = super().transform(X)
        return H.astype(np.uint8) if self.binary else H

    def inverse_transform(self, X):
        """Word probabilities of codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform` (bits are accepted as they are).

        Returns
        -------
        X_original : ndarray of shape (n_samples, ``n_features_in_``), dtype float32
            Each code's probability of every word; rows sum to one. Multiply by a
            document's length for its expected counts.
        """
        return super().inverse_transform(X)

    def score_samples(self, X):
        """Mean log-probability per word of each document under its own reconstruction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Word counts.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float32
            ``sum_i x_i log p_i / sum_i x_i`` with ``p = inverse_transform(transform(x))``
            (higher is better; ``exp(-score)`` is the document's perplexity). 0 for an empty
            document.
        """
        X = self._validate_predict_data(X)

        def per_word(module, x):
            logits, _ = module(x)
            ll = (torch.log_softmax(logits, dim=1) * x).sum(dim=1)
            return ll / x.sum(dim=1).clamp_min(1e-12)

        return self._predict_batches(X, per_word)

    @property
    def idf_(self):
        """Inverse document frequency of each word in the training data, float32."""
        return self.module_.idf.detach().cpu().numpy().copy()

    @property
    def mean_(self):
        """Mean of the weighted, unit-length training input, float32."""
        return self.module_.mean.detach().cpu().numpy().copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = [] if self.binary else ["float32"]
        return tags
