"""The penalty and corruption functions of ``skae.nn``, against hand-computed values."""

import math

import pytest
import torch
from torch import nn

from skae.nn import (
    contractive_penalty_closed_form,
    contractive_penalty_exact,
    gaussian_noise,
    jacobian_frobenius_sq,
    kl_sparsity,
    l1_sparsity,
    masking_noise,
    salt_and_pepper_noise,
)


def test_l1_sparsity_by_hand():
    code = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.0, 0.5]])
    # rows sum to 3 and 1; their mean is 2
    assert l1_sparsity(code).item() == pytest.approx(2.0)


def test_kl_sparsity_by_hand():
    code = torch.tensor([[0.2, 0.05], [0.4, 0.05]])  # unit means 0.3 and 0.05
    rho = 0.05
    expected = rho * math.log(rho / 0.3) + (1 - rho) * math.log((1 - rho) / 0.7)
    assert kl_sparsity(code, rho).item() == pytest.approx(expected, rel=1e-5)
    # at the target the divergence vanishes
    assert kl_sparsity(torch.full((4, 3), rho), rho).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("activation,fn", [
    ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu),
    ("identity", lambda a: a),
])
def test_closed_form_contraction_equals_exact_jacobian(activation, fn):
    # Rifai et al. (2011), eq. 6, against the exact autograd Jacobian of the same layer.
    gen = torch.Generator().manual_seed(0)
    layer = nn.Linear(7, 4)
    x = torch.randn(10, 7, generator=gen)

    def encode(v):
        return fn(layer(v))

    closed = contractive_penalty_closed_form(encode(x), layer.weight, activation)
    exact = contractive_penalty_exact(encode, x)
    torch.testing.assert_close(closed, exact, rtol=1e-5, atol=1e-6)


def test_exact_jacobian_matches_torch_autograd_per_sample():
    gen = torch.Generator().manual_seed(1)
    net = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3), nn.Sigmoid())
    x = torch.randn(4, 5, generator=gen)
    got = jacobian_frobenius_sq(net, x)
    for i in range(len(x)):
        jac = torch.autograd.functional.jacobian(lambda v: net(v.unsqueeze(0))[0], x[i])
        assert got[i].item() == pytest.approx(jac.square().sum().item(), rel=1e-5)


def test_exact_jacobian_is_differentiable_in_the_parameters():
    net = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    contractive_penalty_exact(net, torch.randn(5, 3)).backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0


def test_corruptions_follow_their_generator():
    x = torch.rand(200, 50)
    for fn in (gaussian_noise, masking_noise, salt_and_pepper_noise):
        a = fn(x, 0.3, torch.Generator().manual_seed(3))
        b = fn(x, 0.3, torch.Generator().manual_seed(3))
        c = fn(x, 0.3, torch.Generator().manual_seed(4))
        assert torch.equal(a, b) and not torch.equal(a, c)


def test_masking_and_salt_and_pepper_statistics():
    x = torch.full((400, 100), 0.5)
    gen = torch.Generator().manual_seed(0)
    masked = masking_noise(x, 0.3, gen)
    assert set(masked.unique().tolist()) == {0.0, 0.5}
    assert (masked == 0).float().mean().item() == pytest.approx(0.3, abs=0.01)
    sp = salt_and_pepper_noise(x, 0.2, gen, low=-1.0, high=2.0)
    assert set(sp.unique().tolist()) == {-1.0, 0.5, 2.0}
    assert (sp != 0.5).float().mean().item() == pytest.approx(0.2, abs=0.01)
    # a fair coin between pepper and salt
    assert (sp == 2.0).sum().item() / (sp != 0.5).sum().item() == pytest.approx(0.5, abs=0.03)


def test_gaussian_noise_level_is_its_standard_deviation():
    x = torch.zeros(500, 200)
    noisy = gaussian_noise(x, 0.25, torch.Generator().manual_seed(0))
    assert noisy.std().item() == pytest.approx(0.25, rel=0.02)
