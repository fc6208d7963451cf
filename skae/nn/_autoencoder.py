"""The multilayer-perceptron autoencoder module: encoder, mirrored decoder, tied weights."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from skae.nn._blocks import ACTIVATIONS, init_linear_, inverted_dropout, make_activation
from skae.utils import _torch_compat

__all__ = ["Center", "MLPAutoencoder"]

# In-place activations for the hand-written training step; the derivative of each, applied
# to an upstream gradient from the activation's output, is in
# skae.utils._torch_compat.activation_backward_table.
_ACT_INPLACE = {
    "identity": lambda t: t,
    "relu": torch.relu_,
    "sigmoid": torch.sigmoid_,
    "tanh": torch.tanh_,
}


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


# The module classes the hand-written pass knows (exactly these, not subclasses).
_PLAN_MODULES = frozenset({Center, nn.Linear, nn.ModuleList, nn.ParameterList,
                           *ACTIVATIONS.values()})


def _covers(parameters, written):
    """Whether the parameters in ``written`` (those the hand-written pass sets the gradient
    of) are among ``parameters`` (a module's) and include every trainable one."""
    if any(not isinstance(p, nn.Parameter) for p in written):
        return False  # a bias removed (None), a weight computed from other tensors
    parameters, written = set(parameters), set(written)
    return written <= parameters and {p for p in parameters if p.requires_grad} <= written


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

    def encode(self, x, *, input_dropout=0.0, dropout=0.0, generator=None):
        """The code ``h = f(W x + b)`` of each row of ``x`` (after centring).

        ``input_dropout`` and ``dropout`` apply inverted dropout to the input and to the output
        of every layer (the code included), with masks drawn from ``generator``: the
        training-time encoder of a network fine-tuned with dropout (Srivastava et al., JMLR
        2014). Both 0 (the default) is the deterministic encoder.
        """
        x = inverted_dropout(x, input_dropout, generator)
        # W (x - m) + b computed as W x + (b - W m): a matrix-vector product per step instead
        # of a pass over the whole batch.
        first = self.encoder_layers[0]
        h = F.linear(x, first.weight, first.bias - first.weight @ self.center.mean)
        for layer in self.encoder_layers[1:]:
            h = layer(inverted_dropout(self._act(h), dropout, generator))
        return inverted_dropout(self._code_act(h), dropout, generator)

    def decode_logits(self, h):
        """The decoder's output before its output activation."""
        for i in range(self.n_layers):
            weight, bias = self.decoder_linear(i)
            h = F.linear(h, weight, bias)
            if i < self.n_layers - 1:
                h = self._act(h)
        return h

    def backprop_plan(self):
        """The layers as :meth:`loss_and_gradients_` walks them, or None where it would not
        compute what ``forward`` and autograd do.

        The hand-written pass knows this class's ``forward`` and nothing else, so it is used
        only when it provably covers the module: every submodule is of a class it knows
        (not a subclass, not an activation replaced by an extension's top-k code, say), no
        tensor is reparametrised (``torch.nn.utils.parametrize``: the pass would write the
        gradient of the computed weight, not of the parameters behind it), no hook is
        registered (it would not run), and the parameters it writes gradients to include
        every trainable parameter of the module.

        Returns
        -------
        plan : tuple or None
            ``(weights, biases, activations)``: per layer, encoder then decoder, the weight
            as used (a tied decoder layer uses the transpose of an encoder weight) with the
            parameter it comes from, the bias, and the activation's name.
        """
        acts = ((self._act, self.activation), (self._code_act, self.code_activation),
                (self._out_act, self.out_activation))
        if type(self) is not MLPAutoencoder or any(
                type(module) is not ACTIVATIONS.get(name) for module, name in acts):
            return None
        # One walk over the module (this runs once per epoch). Registering a parametrization
        # swaps the module's class for a generated subclass, which the class check refuses;
        # is_parametrized says the same through the public API, whatever a later torch does.
        modules, parameters = list(self.modules()), list(self.parameters())
        if (any(type(m) not in _PLAN_MODULES for m in modules[1:])
                or any(parametrize.is_parametrized(m) for m in modules
                       if type(m) is nn.Linear)
                or _torch_compat.may_have_hooks(self, modules, parameters)):
            return None
        encoder = list(self.encoder_layers)
        decoder = [] if self.tied_weights else list(self.decoder_layers)
        L = self.n_layers
        weights = [(layer.weight, layer.weight, False) for layer in encoder]
        biases = [layer.bias for layer in encoder]
        if self.tied_weights:
            weights += [(layer.weight.t(), layer.weight, True) for layer in reversed(encoder)]
            biases += list(self.decoder_biases)
        else:
            weights += [(layer.weight, layer.weight, False) for layer in decoder]
            biases += [layer.bias for layer in decoder]
        if not _covers(parameters, [param for _, param, _ in weights] + biases):
            return None
        acts = ([self.activation] * (L - 1) + [self.code_activation]
                + [self.activation] * (L - 1) + [self.out_activation])
        return weights, biases, acts

    def loss_and_gradients_(self, x, target, loss, plan=None):
        """The mean reconstruction loss of a minibatch, with every parameter's gradient
        written to its ``.grad`` by hand: backpropagation without autograd.

        The value and gradients are those of ``reconstruction_loss(loss, logits, target,
        reduction="mean")`` on ``self(x)`` followed by ``backward()``, up to float32
        rounding; parameters with ``requires_grad=False`` get no gradient. On small networks
        autograd's bookkeeping (recording the graph, then walking it) costs as much as the
        arithmetic; this step runs only the kernels the arithmetic needs.

        Parameters
        ----------
        x : torch.Tensor of shape (n_rows, n_features)
            The network's input (possibly corrupted).
        target : torch.Tensor of shape (n_rows, n_features)
            What the output should reconstruct.
        loss : {"squared", "cross_entropy"}
            The reconstruction loss; ``"cross_entropy"`` expects the sigmoid output.
        plan : tuple, optional
            :meth:`backprop_plan`'s result, when the caller keeps it from step to step.

        Returns
        -------
        loss : torch.Tensor
            The scalar loss, without an autograd graph.
        """
        if plan is None:
            plan = self.backprop_plan()
            if plan is None:
                raise ValueError("This module's forward is not the stock MLP's; train it "
                                 "through autograd.")
        weights, biases, acts = plan
        backward = _torch_compat.activation_backward_table()
        with torch.no_grad():
            mean = self.center.mean
            # Forward, keeping each layer's input; as in encode, the centring is folded into
            # the first bias: W (x - m) + b = W x + (b - W m).
            inputs = [x]
            h = torch.addmm(biases[0] - weights[0][0] @ mean, x, weights[0][0].t())
            for k in range(1, len(weights)):
                h = _ACT_INPLACE[acts[k - 1]](h)
                inputs.append(h)
                h = torch.addmm(biases[k], h, weights[k][0].t())
            # dLoss/dlogits of the mean over all entries.
            n = target.numel()
            if loss == "cross_entropy":
                value = F.binary_cross_entropy_with_logits(h, target)
                g = torch.sigmoid_(h).sub_(target).div_(n)
            else:
                y = _ACT_INPLACE[acts[-1]](h)
                value = F.mse_loss(y, target)
                g = backward[acts[-1]](torch.sub(y, target).mul_(2.0 / n), y)
            grads = {}
            for k in range(len(weights) - 1, -1, -1):
                inp = inputs[k]
                grad_w = g.t() @ inp
                grad_b = g.sum(dim=0)
                weight, param, transposed = weights[k]
                if k == 0:
                    grad_w.addr_(grad_b, mean, alpha=-1)  # d/dW of the -W m in the first bias
                else:
                    g = backward[acts[k - 1]](g @ weight, inp)
                for p, grad in ((param, grad_w.t() if transposed else grad_w),
                                (biases[k], grad_b)):
                    grads[p] = grads[p] + grad if p in grads else grad
            for param, grad in grads.items():
                # As with autograd, a frozen parameter gets no gradient.
                param.grad = grad.contiguous() if param.requires_grad else None
        return value

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
