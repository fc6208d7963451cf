"""A classifier network whose hidden layers are an autoencoder's encoder.

Torch only: nothing here knows about numpy or scikit-learn.
"""

import torch.nn.functional as F
from torch import nn

from skae.nn._blocks import init_linear_

__all__ = ["EncoderClassifier", "classification_loss"]


class EncoderClassifier(nn.Module):
    """An autoencoder's encoder under a linear output layer of class scores.

    The hidden layers of the classifier are the encoder of ``autoencoder`` (an
    :class:`~skae.nn.MLPAutoencoder`, typically pre-trained greedily); a new linear layer maps
    its code to one score per class, or to one logit for two classes. The decoder is kept, so
    that fine-tuning can keep a reconstruction term (Hinton & Salakhutdinov, Science 2006,
    pre-train then fine-tune; Ranzato & Szummer, ICML 2008, a joint supervised and
    reconstruction cost).

    Parameters
    ----------
    autoencoder : MLPAutoencoder
        Supplies ``encode`` (the hidden layers) and ``decode_logits`` (the reconstruction).
    n_outputs : int
        Number of scores: the number of classes, or 1 for a binary problem.
    generator : torch.Generator, optional
        Source of randomness for the output layer's initial weights.
    """

    def __init__(self, autoencoder, n_outputs, generator=None):
        super().__init__()
        self.autoencoder = autoencoder
        n_code = autoencoder.encoder_layers[-1].out_features
        self.head = init_linear_(nn.Linear(n_code, int(n_outputs)), "identity", generator)

    def encode(self, x, **dropout):
        """The last hidden layer of each row of ``x`` (``dropout``: the keyword arguments of
        :meth:`MLPAutoencoder.encode`, for training with dropout)."""
        return self.autoencoder.encode(x, **dropout)

    def reconstruct_logits(self, h):
        """The decoder's output for the code ``h``, before its output activation."""
        return self.autoencoder.decode_logits(h)

    def forward(self, x):
        """Return ``(scores, aux)``: class scores (logits) and ``aux = {"code": h}``."""
        code = self.encode(x)
        return self.head(code), {"code": code}


def classification_loss(scores, y):
    """Mean negative log-likelihood of the integer labels ``y`` under the ``scores``.

    One column of scores is the logit of the second class (logistic regression's binary
    cross-entropy); more columns are the logits of a softmax over the classes.
    """
    if scores.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(scores[:, 0], y.to(scores.dtype))
    return F.cross_entropy(scores, y)
