"""The multilayer-perceptron autoencoder module: encoder, mirrored decoder, tied weights."""

import torch
import torch.nn.functional as F
from torch import nn

from skae.nn._blocks import init_linear_, make_activation

__all__ = ["Center", "MLPAutoencoder"]


class Center(nn.Module):
    """Subtract a fixed vector (the training mean) from the input.

    Centring is what makes a linear autoencoder converge to PCA's subspace quickly: with raw
    inputs the optimum is the same but gradient descent slows with the ill-conditioning of
    the uncentred second moment (Bao et al., NeurIPS 2020).
    """

    def __init__(self, mean):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).clone())

    def forward(self, x):
        return x - self.mean


class MLPAutoencoder(nn.Module):
    """Encoder ``n_features -> *hidden -> n_components`` and its mirror image as decoder.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : sequence of int
        Sizes of the encoder's hidden layers; the decoder uses them in reverse order.
    n_components : int
        Size of the code ``h``.
    activation : str
        Activation of every hidden layer, and of the code layer unless ``code_activation`` says
        otherwise.
    code_activation : str, optional
        Activation of the code layer; None means ``activation``. ``"identity"`` gives the linear
        code of Hinton & Salakhutdinov (Science 2006): logistic hidden units, linear code units.
    out_activation : str
        Activation applied by :meth:`decode` to the last layer. :meth:`forward` returns the
        pre-activation output so that losses can use the numerically stable logit forms.
    tied_weights : bool
        If True the decoder reuses the transposed encoder weights, ``W' = W^T`` (Vincent et al.,
        JMLR 2010, sec. 2.3); only the decoder biases are its own.
    mean : array-like of shape (n_features,), optional
        Input mean subtracted before encoding; zero if omitted.
    generator : torch.Generator, optional
        Source of randomness for the initial weights.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        activation="relu",
        out_activation="identity",
        tied_weights=False,
        mean=None,
        generator=None,
        code_activation=None,
    ):
        super().__init__()
        sizes = [int(n_features), *map(int, hidden_layer_sizes), int(n_components)]
        self.activation = activation
        self.code_activation = activation if code_activation is None else code_activation
        self.out_activation = out_activation
        self.tied_weights = bool(tied_weights)
        self.center = Center(torch.zeros(sizes[0]) if mean is None else mean)
        enc_acts = [activation] * (len(sizes) - 2) + [self.code_activation]
        self.encoder_layers = nn.ModuleList(
            init_linear_(nn.Linear(a, b), act, generator)
            for a, b, act in zip(sizes, sizes[1:], enc_acts)
        )
        rev = sizes[::-1]
        if self.tied_weights:
            self.decoder_biases = nn.ParameterList(nn.Parameter(torch.zeros(n)) for n in rev[1:])
        else:
            acts = [activation] * (len(rev) - 2) + [out_activation]
            self.decoder_layers = nn.ModuleList(
                init_linear_(nn.Linear(a, b), act, generator)
                for a, b, act in zip(rev, rev[1:], acts)
            )
        self._act = make_activation(activation)
        self._code_act = make_activation(self.code_activation)
        self._out_act = make_activation(out_activation)

    @property
    def n_layers(self):
        return len(self.encoder_layers)

    def decoder_linear(self, i):
        """Weight and bias of the decoder's ``i``-th layer (0 = the one that reads the code)."""
        if self.tied_weights:
            return self.encoder_layers[self.n_layers - 1 - i].weight.t(), self.decoder_biases[i]
        layer = self.decoder_layers[i]
        return layer.weight, layer.bias

    def encode(self, x):
        """The code ``h = f(W x + b)`` of each row of ``x`` (after centring)."""
        # W (x - m) + b computed as W x + (b - W m): a matrix-vector product per step instead
        # of a pass over the whole batch.
        first = self.encoder_layers[0]
        h = F.linear(x, first.weight, first.bias - first.weight @ self.center.mean)
        for layer in self.encoder_layers[1:]:
            h = layer(self._act(h))
        return self._code_act(h)

    def decode_logits(self, h):
        """The decoder's output before its output activation."""
        for i in range(self.n_layers):
            weight, bias = self.decoder_linear(i)
            h = F.linear(h, weight, bias)
            if i < self.n_layers - 1:
                h = self._act(h)
        return h

    def decode(self, h):
        """The reconstruction ``g(h)``, in the data's space."""
        return self._out_act(self.decode_logits(h))

    def forward(self, x):
        """Return ``(output_logits, aux)`` with ``aux = {"code": h}`` for penalty terms."""
        code = self.encode(x)
        return self.decode_logits(code), {"code": code}

    def encoder(self):
        """A standalone ``nn.Sequential`` copy of the encoder (centring included).

        Useful as pre-training for a supervised network (Hinton & Salakhutdinov, 2006).
        """
        import copy

        layers = [copy.deepcopy(self.center)]
        for i, layer in enumerate(self.encoder_layers):
            last = i == self.n_layers - 1
            act = self.code_activation if last else self.activation
            layers += [copy.deepcopy(layer), make_activation(act)]
        return nn.Sequential(*layers)
