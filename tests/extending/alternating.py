"""A top-N recommender with a closed-form step between epochs, on skae's extension points.

An encoder maps a user's interaction row to a code ``z``; item factors ``V`` decode it,
``scores = z V + b``. Adam trains the encoder with ``V`` fixed during an epoch; at the start of
the next epoch ``V`` is solved exactly by ridge regression of the rows on their codes, from
statistics the training steps gathered. This is the alternation of collaborative deep
learning (Wang, Wang & Yeung, KDD 2015), where latent factors are updated in closed form and
the network by backpropagation. ``doc/extending.rst`` includes this file and
``tests/test_extending.py`` tests it.
"""

from numbers import Integral, Real

import torch
from torch import nn

from skae.base import (
    ENGINE_PARAMETER_CONSTRAINTS,
    BaseNeuralTopNRecommender,
    Interval,
    column_sums,
    register_module_class,
    store_init_params,
)
from skae.nn import init_linear_


@register_module_class  # so that pickled estimators may hold it (weights-only loading)
class AlternatingModule(nn.Module):
    """A trained encoder; item factors that the optimizer never sees (buffers)."""

    def __init__(self, n_items, n_components, item_bias, generator=None):
        super().__init__()
        self.encoder = init_linear_(nn.Linear(n_items, n_components), "tanh", generator)
        self.register_buffer("item_bias", item_bias)
        # Zero at first: the first epoch only gathers statistics of the initial codes.
        self.register_buffer("item_factors", torch.zeros(n_components, n_items))
        # Sufficient statistics of the closed-form step, gathered by the training steps.
        self.register_buffer("zz", torch.zeros(n_components, n_components))
        self.register_buffer("zx", torch.zeros(n_components, n_items))
        self.register_buffer("rows", torch.zeros(()))

    def encode(self, x):
        return torch.tanh(self.encoder(x))

    def forward(self, x):
        z = self.encode(x)
        return z @ self.item_factors + self.item_bias, z


class AlternatingRecommender(BaseNeuralTopNRecommender):
    """Encoder trained by Adam, item factors solved by ridge regression every epoch."""

    _structural_params = ("n_components", "device")
    _parameter_constraints = {
        **ENGINE_PARAMETER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "ridge": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, n_components=50, *, ridge=0.1, alpha=0.0, learning_rate="constant",
                 learning_rate_init=1e-3, batch_size="auto", max_iter=200, tol=1e-4,
                 n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 warm_start=False, random_state=None, device="cpu", verbose=0):
        store_init_params(self, locals())

    def _build_module(self, train, ctx):
        popularity = column_sums(train, lambda x: (x > 0).to(x.dtype)) / len(train)
        ctx.fitted["item_popularity_"] = popularity.numpy()  # set on the estimator if fit succeeds
        return AlternatingModule(train.arrays[0].shape[1], self.n_components,
                                 popularity.float(), ctx.generator)

    def _loss(self, module, batch, ctx):
        y = (batch[0] > 0).to(batch[0].dtype)
        scores, z = module(y)
        if ctx.training:  # gather what the next closed-form step needs
            with torch.no_grad():
                module.zz += z.T @ z
                module.zx += z.T @ (y - module.item_bias)
                module.rows += y.shape[0]
        return ((scores - y) ** 2).sum(dim=1).mean()

    def _on_epoch_begin(self, module, ctx):
        if module.rows > 0:  # the last epoch's statistics: solve the item factors exactly
            eye = torch.eye(self.n_components, device=module.zz.device)
            module.item_factors.copy_(torch.linalg.solve(
                module.zz / module.rows + self.ridge * eye, module.zx / module.rows))
            for stat in (module.zz, module.zx, module.rows):
                stat.zero_()

    def _encode(self, module, x):
        return module.encode((x > 0).to(x.dtype))

    def _item_scores(self, module, x):
        return module((x > 0).to(x.dtype))[0]
