"""The chained residual pooling chains: each stage pools the previous stage's output.

With identity convs and one positive spike, stage k's output is the spike max-pooled k times, a square
of side 4k + 1. A chain of 2 stages therefore reaches 4 pixels from the spike; stages that each pool
the (ReLU'd) input again, as several ports do, only reach 2, and the expected map below fails.
"""
import os

import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))

from seg_engine_projects.refinenet import ChainedResidualPooling, ResidualConvUnit  # noqa: E402


def identity_(crp):
    with torch.no_grad():
        for conv in crp.convs:
            torch.nn.init.dirac_(conv.weight)
    return crp


def spike(channels, size=13):
    x = torch.zeros(1, channels, size, size)
    x[:, :, size // 2, size // 2] = 1.0
    return x


def chebyshev_distance(size=13):
    idx = torch.arange(size) - size // 2
    return torch.maximum(idx.abs()[:, None], idx.abs()[None, :])


def expected_chain(num_stages, size=13):
    """x + sum over k of [distance <= 2k]: 1 + num_stages at the spike, decreasing in rings of 2."""
    d = chebyshev_distance(size)
    out = (d == 0).float()
    for k in range(1, num_stages + 1):
        out = out + (d <= 2 * k).float()
    return out


def test_two_stages_chain_their_pooling():
    crp = identity_(ChainedResidualPooling(channels=1, num_stages=2, kernel_size=1))
    out = crp(spike(1))[0, 0]
    assert torch.equal(out, expected_chain(2))
    assert out[6, 10] == 1.0  # 4 pixels away: only the second stage's second pooling reaches it


def test_the_models_four_stage_pooling_chains_with_3x3_convs():
    cfg = load_config(os.path.join(os.path.dirname(HERE), "configs", "Base-RefineNet.yaml"),
                      "MODEL.DEVICE", "cpu", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
                      "MODEL.HEAD.CHANNELS", "4", "MODEL.REFINENET.TOP_CHANNELS", "4", "MODEL.NUM_CLASSES", "3")
    crp = identity_(build_model(cfg).decode_head.blocks[2].crp)
    assert len(crp.convs) == 4 and crp.convs[0].kernel_size == (3, 3)
    out = crp(spike(4, size=21))
    assert torch.equal(out, expected_chain(4, 21).expand(1, 4, 21, 21))


def test_pooling_starts_with_relu():
    crp = identity_(ChainedResidualPooling(channels=1, num_stages=1, kernel_size=1))
    assert torch.equal(crp(-spike(1)), torch.zeros(1, 1, 13, 13))


def test_residual_conv_unit_is_relu_conv_relu_conv_plus_input():
    torch.manual_seed(0)
    rcu = ResidualConvUnit(4)
    assert rcu.conv1.bias is not None and rcu.conv2.bias is None
    x = torch.randn(1, 4, 9, 7)
    expected = x + rcu.conv2(torch.relu(rcu.conv1(torch.relu(x))))
    assert torch.allclose(rcu(x), expected)
    assert not torch.equal(rcu(x), rcu.conv2(torch.relu(rcu.conv1(torch.relu(x)))))
