"""The document autoencoder's network: word counts in, a code, word probabilities out.

Torch only. The input weighting (log counts, optionally times idf, unit length) happens inside
the module, so that ``transform`` takes raw counts, and a minibatch is the only dense block.
"""

import torch
import torch.nn.functional as F
from torch import nn

from skae.nn._blocks import init_linear_, make_activation

__all__ = ["DocumentMLP", "binary_code", "weight_words"]

WEIGHTINGS = ("l2", "log", "tfidf")


def weight_words(x, weighting, idf=None):
    """The encoder's input for a batch of word counts ``x``, each row of unit length.

    ``"l2"``: the counts scaled to unit length (Mult-DAE's input, Liang et al. 2018);
    ``"log"``: ``log(1 + counts)``, which damps words repeated within a document;
    ``"tfidf"``: ``log(1 + counts) * idf`` (the sublinear tf-idf of Salton & Buckley 1988),
    which also damps words common to many documents. Empty documents stay zero.
    """
    if weighting != "l2":
        x = torch.log1p(x)
        if weighting == "tfidf":
            x = x * idf
    return F.normalize(x, dim=1)


def binary_code(logits, method, generator=None, noise_level=0.0):
    """The bits of a binary code layer from its pre-activations ``logits``.

    Without ``generator`` (evaluation), the bit is ``sigmoid(logits) > 0.5``. In training:

    - ``"straight_through"``: a draw of ``Bernoulli(sigmoid(logits))``, whose gradient is
      taken as that of ``sigmoid(logits)`` (the straight-through estimator of Bengio, Léonard
      & Courville 2013, as NASH trains its codes, Shen et al. ACL 2018, sec. 3.2);
    - ``"noise"``: ``sigmoid(logits + e)``, ``e ~ N(0, noise_level^2)``. The noise drowns
      any message carried by a code unit that is not pushed far from 0.5, so training drives
      the units to 0 or 1 (semantic hashing, Salakhutdinov & Hinton 2009, sec. 2.3).
    """
    prob = torch.sigmoid(logits)
    if generator is None:
        return (prob > 0.5).to(logits.dtype)
    if method == "straight_through":
        u = torch.rand(logits.shape, generator=generator, dtype=logits.dtype).to(logits.device)
        bits = (u < prob).to(logits.dtype)
        return prob + (bits - prob).detach()
    e = torch.randn(logits.shape, generator=generator, dtype=logits.dtype).to(logits.device)
    return torch.sigmoid(logits + noise_level * e)


class DocumentMLP(nn.Module):
    """Encoder ``n_words -> *hidden -> n_components`` and its mirror image, to word logits.

    Parameters
    ----------
    n_words : int
    hidden_layer_sizes : sequence of int
        The encoder's hidden layers; the decoder uses them in reverse order.
    n_components : int
        Size of the code.
    activation : str
        Activation of the hidden layers. The code is linear, or binary with ``binary``.
    weighting : {"l2", "log", "tfidf"}
        See :func:`weight_words`.
    idf : tensor of shape (n_words,)
        Inverse document frequencies (used by ``"tfidf"``).
    mean : tensor of shape (n_words,)
        Mean of the weighted training input, subtracted before the first layer.
    binary : str or None
        None for real codes, else the training method of :func:`binary_code`.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, n_words, hidden_layer_sizes, n_components, activation, weighting, idf,
                 mean, binary=None, generator=None):
        super().__init__()
        sizes = [int(n_words), *map(int, hidden_layer_sizes), int(n_components)]
        self.weighting = weighting
        self.binary = binary
        self.register_buffer("idf", torch.as_tensor(idf, dtype=torch.float32).clone())
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).clone())
        self.encoder_layers = nn.ModuleList(
            init_linear_(nn.Linear(a, b), activation, generator)
            for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.decoder_layers = nn.ModuleList(
            init_linear_(nn.Linear(a, b), activation, generator)
            for a, b in zip(sizes[:0:-1], sizes[-2::-1], strict=True))
        self._act = make_activation(activation)

    def code_logits(self, x):
        """Pre-activations of the code layer for word counts ``x``."""
        h = weight_words(x, self.weighting, self.idf) - self.mean
        for i, layer in enumerate(self.encoder_layers):
            h = layer(h)
            if i < len(self.encoder_layers) - 1:
                h = self._act(h)
        return h

    def encode(self, x):
        """The code of word counts ``x``: real, or bits (0./1.) for a binary code."""
        h = self.code_logits(x)
        return h if self.binary is None else binary_code(h, self.binary)

    def decode_logits(self, h):
        """Unnormalised log-probabilities of the words given codes ``h``."""
        for i, layer in enumerate(self.decoder_layers):
            if i > 0:
                h = self._act(h)
            h = layer(h)
        return h

    def decode(self, h):
        """Word probabilities (each row sums to one) given codes ``h``."""
        return torch.softmax(self.decode_logits(h), dim=1)

    def forward(self, x, generator=None, noise_level=0.0):
        """``(word_logits, {"code": h})``; binary codes are sampled when ``generator`` is given."""
        h = self.code_logits(x)
        if self.binary is not None:
            h = binary_code(h, self.binary, generator, noise_level)
        return self.decode_logits(h), {"code": h}
