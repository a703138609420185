import pytest
import torch
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from seg_engine.modeling.layers.norm import freeze_batchnorm, get_norm
from seg_engine.utils.testing import randomize_batchnorm


@pytest.mark.parametrize(
    "name, cls",
    [
        ("BN", nn.BatchNorm2d),
        ("SyncBN", nn.SyncBatchNorm),
        ("GN", nn.GroupNorm),
        ("FrozenBN", FrozenBatchNorm2d),
        ("", nn.Identity),
        (None, nn.Identity),
    ],
)
def test_get_norm_types(name, cls):
    assert type(get_norm(name, 64)) is cls


@pytest.mark.parametrize(
    "channels, groups", [(64, 32), (256, 32), (32, 32), (16, 16), (8, 8), (48, 24), (3, 3)]
)
def test_group_norm_uses_at_most_32_groups_dividing_channels(channels, groups):
    norm = get_norm("GN", channels)
    assert norm.num_groups == groups and norm.num_channels == channels
    assert norm(torch.randn(2, channels, 5, 5)).shape == (2, channels, 5, 5)


def test_unknown_norm_names_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"'LN'.*'BN'.*'SyncBN'.*'GN'.*'FrozenBN'"):
        get_norm("LN", 8)
    with pytest.raises(ValueError, match="'bn'"):
        get_norm("bn", 8)


def test_frozen_bn_loads_a_batchnorm_state_dict():
    bn = nn.BatchNorm2d(4)
    frozen = get_norm("FrozenBN", 4)
    frozen.load_state_dict(bn.state_dict(), strict=True)  # num_batches_tracked is dropped
    assert set(frozen.state_dict()) == {"weight", "bias", "running_mean", "running_var"}


def test_freeze_batchnorm_replaces_nested_bns_and_keeps_eval_output():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4, eps=1e-3),
        nn.Sequential(nn.ReLU(), nn.BatchNorm2d(4)),
        nn.GroupNorm(2, 4),
    )
    randomize_batchnorm(model)
    x = torch.randn(2, 3, 8, 8)
    expected = model.eval()(x)
    keys = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}

    frozen = freeze_batchnorm(model)
    assert frozen is model
    assert isinstance(model[1], FrozenBatchNorm2d) and model[1].eps == 1e-3
    assert isinstance(model[2][1], FrozenBatchNorm2d)
    assert isinstance(model[3], nn.GroupNorm)  # only BatchNorms are frozen
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert set(model.state_dict()) == keys
    torch.testing.assert_close(model(x), expected)

    # No statistics update and no learnable norm parameters in train mode.
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()(x * 3 + 1)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert {n for n, _ in model.named_parameters()} == {"0.weight", "0.bias", "3.weight", "3.bias"}


def test_freeze_batchnorm_on_a_bn_and_on_syncbn():
    bn = nn.BatchNorm2d(6)
    randomize_batchnorm(bn)
    frozen = freeze_batchnorm(bn)
    assert isinstance(frozen, FrozenBatchNorm2d)
    for name in ("weight", "bias", "running_mean", "running_var"):
        assert torch.equal(getattr(frozen, name), getattr(bn, name).detach())

    sync = nn.Sequential(nn.SyncBatchNorm(6))
    assert isinstance(freeze_batchnorm(sync)[0], FrozenBatchNorm2d)
