"""The Encoding layer: the matrix-product form equals the authors' broadcast formulas, and its gradient is right."""
import math
import os

import pytest
import torch

from seg_engine.plugins import load_plugin

load_plugin(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seg_engine_projects.encnet.encoding_layer import Encoding, aggregate, scaled_l2  # noqa: E402


def naive_scaled_l2(x, codewords, scale):
    """The authors' formula: materialises B x N x K x D."""
    return scale.view(1, 1, -1) * (x.unsqueeze(2) - codewords[None, None]).pow(2).sum(3)


def naive_aggregate(assignments, x, codewords):
    return (assignments.unsqueeze(3) * (x.unsqueeze(2) - codewords[None, None])).sum(1)


def naive_encoding(layer, x):
    x = x.flatten(2).transpose(1, 2)
    a = torch.softmax(naive_scaled_l2(x, layer.codewords, layer.scale), dim=2)
    return naive_aggregate(a, x, layer.codewords)


def test_functions_match_the_broadcast_formulas():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 50, 16, generator=g, dtype=torch.float64)
    c = torch.randn(5, 16, generator=g, dtype=torch.float64)
    s = -torch.rand(5, generator=g, dtype=torch.float64)
    a = torch.softmax(torch.randn(3, 50, 5, generator=g, dtype=torch.float64), dim=2)
    torch.testing.assert_close(scaled_l2(x, c, s), naive_scaled_l2(x, c, s), rtol=1e-12, atol=1e-10)
    torch.testing.assert_close(aggregate(a, x, c), naive_aggregate(a, x, c), rtol=1e-12, atol=1e-10)


def test_layer_matches_naive_form_in_float32_on_relu_features():
    torch.manual_seed(0)
    layer = Encoding(64, 8)
    x = torch.relu(torch.randn(2, 64, 9, 11))
    out = layer(x)
    assert out.shape == (2, 8, 64)
    torch.testing.assert_close(out, naive_encoding(layer, x), rtol=1e-4, atol=1e-4)
    # B x D x N input gives the same as B x D x H x W.
    torch.testing.assert_close(layer(x.flatten(2)), out)


def test_gradcheck_float64():
    torch.manual_seed(0)
    layer = Encoding(4, 3).double()
    x = torch.randn(2, 4, 3, 2, dtype=torch.float64, requires_grad=True)

    def fn(x, codewords, scale):
        return Encoding._encode(x.flatten(2).transpose(1, 2), codewords, scale)

    assert torch.autograd.gradcheck(fn, (x, layer.codewords, layer.scale))
    assert torch.autograd.gradgradcheck(fn, (x, layer.codewords, layer.scale))


def test_gradients_match_naive_form():
    torch.manual_seed(1)
    layer = Encoding(8, 4).double()
    x = torch.randn(2, 8, 5, 5, dtype=torch.float64, requires_grad=True)
    grads = torch.autograd.grad(layer(x).pow(2).sum(), (x, layer.codewords, layer.scale))
    naive = torch.autograd.grad(naive_encoding(layer, x).pow(2).sum(), (x, layer.codewords, layer.scale))
    for ours, ref in zip(grads, naive):
        torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)


def test_initialisation_ranges():
    torch.manual_seed(0)
    layer = Encoding(512, 32)
    bound = 1 / math.sqrt(32 * 512)
    assert layer.codewords.shape == (32, 512) and layer.scale.shape == (32,)
    assert layer.codewords.abs().max() <= bound and layer.codewords.abs().max() > 0.9 * bound
    assert (layer.scale < 0).all() and (layer.scale >= -1).all()


def test_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    layer = Encoding(16, 4)
    x = torch.relu(torch.randn(1, 16, 6, 6))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = layer(x.bfloat16())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, naive_encoding(layer, x.bfloat16().float()), rtol=1e-4, atol=1e-4)


def test_wrong_channels_is_a_clear_error():
    with pytest.raises(ValueError, match=r"B x 8 x H x W"):
        Encoding(8, 2)(torch.zeros(1, 4, 3, 3))
