"""``skae.nn.MLPAutoencoder``: the code layer's activation, against a hand-written forward pass."""

import pytest
import torch

from skae.nn import MLPAutoencoder


def _manual_encode(module, x, hidden, code):
    h = x - module.center.mean
    for i, layer in enumerate(module.encoder_layers):
        h = layer(h)
        h = code(h) if i == module.n_layers - 1 else hidden(h)
    return h


@pytest.mark.parametrize("code_activation,code_fn", [
    (None, torch.sigmoid), ("sigmoid", torch.sigmoid), ("identity", lambda a: a),
    ("tanh", torch.tanh), ("relu", torch.relu),
])
@pytest.mark.parametrize("hidden_layer_sizes", [(), (6,), (6, 5)])
def test_code_layer_uses_code_activation(code_activation, code_fn, hidden_layer_sizes):
    gen = torch.Generator().manual_seed(0)
    mean = torch.rand(7, generator=gen)
    module = MLPAutoencoder(7, hidden_layer_sizes, 3, activation="sigmoid",
                            code_activation=code_activation, mean=mean, generator=gen)
    x = torch.randn(10, 7, generator=gen)
    with torch.no_grad():
        expected = _manual_encode(module, x, torch.sigmoid, code_fn)
        torch.testing.assert_close(module.encode(x), expected)
        # the exported encoder computes the same code
        torch.testing.assert_close(module.encoder()(x), expected)
        # the decoder is unchanged by the code activation: hidden units, then the output
        logits, aux = module(x)
        torch.testing.assert_close(aux["code"], expected)
        torch.testing.assert_close(logits, module.decode_logits(expected))


def test_unknown_code_activation():
    with pytest.raises(ValueError, match="Unknown activation 'softsign'"):
        MLPAutoencoder(4, (), 2, code_activation="softsign")
