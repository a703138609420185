"""Joint Pyramid Upsampling: shapes, FastFCN's layout (deepest map first, separable branches), errors."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.backbone import ShapeSpec
from seg_engine.modeling.necks import JPU

SHAPES = {"res2": ShapeSpec(8, 4), "res3": ShapeSpec(16, 8), "res4": ShapeSpec(32, 16), "res5": ShapeSpec(64, 32)}


def features(h=65, w=49, batch=2):
    torch.manual_seed(0)
    return {name: torch.randn(batch, s.channels, -(-h // s.stride), -(-w // s.stride)) for name, s in SHAPES.items()}


def test_output_replaces_the_deepest_map_at_res3_resolution():
    jpu = JPU(SHAPES, width=8).eval()
    feats = features()
    out = jpu(feats)
    assert out["res5"].shape == (2, 32, 9, 7)
    for name in ("res2", "res3", "res4"):
        assert out[name] is feats[name]
    assert jpu.output_shape()["res5"] == ShapeSpec(channels=32, stride=8)
    assert jpu.output_shape()["res4"] == SHAPES["res4"]


def test_branch_layout_matches_fastfcn():
    jpu = JPU(SHAPES, width=8, dilations=(1, 2, 4, 8))
    assert [c[0].in_channels for c in jpu.convs] == [16, 32, 64]
    assert all(c[0].kernel_size == (3, 3) and c[0].bias is None for c in jpu.convs)
    for branch, d in zip(jpu.branches, (1, 2, 4, 8)):
        depthwise, norm, act_dw, pointwise, norm2, relu = branch
        assert isinstance(act_dw, nn.Identity)
        assert depthwise.groups == depthwise.in_channels == 24 and depthwise.dilation == (d, d)
        assert depthwise.padding == (d, d) and depthwise.bias is None
        assert isinstance(norm, nn.BatchNorm2d) and norm.num_features == 24
        assert pointwise.kernel_size == (1, 1) and pointwise.out_channels == 8 and pointwise.bias is None
        assert isinstance(norm2, nn.BatchNorm2d) and isinstance(relu, nn.ReLU)


def test_concatenation_is_deepest_first_and_resized_with_align_corners():
    """Recompute the first branch by hand from FastFCN's order [res5, res4, res3]."""
    torch.manual_seed(0)
    for align_corners in (True, False):
        jpu = JPU(SHAPES, width=4, dilations=(1,), align_corners=align_corners).eval()
        feats = features()
        size = feats["res3"].shape[-2:]
        maps = [jpu.convs[i](feats[name]) for i, name in ((2, "res5"), (1, "res4"), (0, "res3"))]
        maps = [F.interpolate(m, size=size, mode="bilinear", align_corners=align_corners) for m in maps]
        expected = jpu.branches[0](torch.cat(maps, dim=1))
        torch.testing.assert_close(jpu(feats)["res5"], expected)


def test_missing_feature_is_a_clear_error():
    with pytest.raises(ValueError, match=r"JPU reads \['res3'\]"):
        JPU({"res4": SHAPES["res4"], "res5": SHAPES["res5"]})


def test_gradients_reach_every_parameter():
    jpu = JPU(SHAPES, width=4).train()
    jpu(features(33, 33))["res5"].sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in jpu.parameters())
