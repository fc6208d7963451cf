"""A k-sparse autoencoder (Makhzani & Frey, ICLR 2014) built on skae's extension points.

``doc/extending.rst`` includes this file and ``tests/test_extending.py`` tests it.
"""

from numbers import Integral

import torch
from torch import nn

from skae import Autoencoder
from skae.base import Interval, register_module_class, store_init_params


@register_module_class  # so that pickled estimators may hold it (weights-only loading)
class TopK(nn.Module):
    """Keep the ``k`` largest entries of each row and set the others to 0."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, h):
        values, indices = torch.topk(h, self.k, dim=1)
        return torch.zeros_like(h).scatter(1, indices, values)


class KSparseAutoencoder(Autoencoder):
    """Autoencoder whose code keeps only the ``k`` largest units of each sample.

    The code layer is linear by default (``code_activation="identity"``, as in the paper);
    the top-k selection is part of the network, so it applies in training and in
    ``transform``. Gradients flow through the ``k`` selected units only.
    """

    _structural_params = (*Autoencoder._structural_params, "k")
    _parameter_constraints = {**Autoencoder._parameter_constraints,
                              "k": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, n_components=2, *, k=1, hidden_layer_sizes=(), activation="relu",
                 code_activation="identity", out_activation="auto", tied_weights=False,
                 loss="squared", alpha=0.0, learning_rate="constant", learning_rate_init=1e-3,
                 batch_size="auto", max_iter=200, tol=1e-4, n_iter_no_change=10,
                 early_stopping=False, validation_fraction=0.1, warm_start=False,
                 random_state=None, device="cpu", verbose=0):
        store_init_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.k > self.n_components:
            raise ValueError(f"k={self.k} must be at most n_components={self.n_components}.")

    def _build_module(self, train, ctx):
        module = super()._build_module(train, ctx)
        # The code activation is applied last in module.encode: follow it by the top-k.
        module._code_act = nn.Sequential(module._code_act, TopK(self.k))
        return module
