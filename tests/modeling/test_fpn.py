"""The FPN neck: level names and shapes, the top-down cascade, the three references' switches, errors."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.backbone import ShapeSpec
from seg_engine.modeling.necks import FPN

SHAPES = {"res2": ShapeSpec(8, 4), "res3": ShapeSpec(16, 8), "res4": ShapeSpec(32, 16), "res5": ShapeSpec(64, 32)}


def features(h=65, w=49, batch=2, only=None):
    torch.manual_seed(0)
    out = {name: torch.randn(batch, s.channels, -(-h // s.stride), -(-w // s.stride)) for name, s in SHAPES.items()}
    if only is not None:
        out = {name: x if name == only else torch.zeros_like(x) for name, x in out.items()}
    return out


def test_levels_are_named_by_stride_and_inputs_pass_through():
    fpn = FPN(SHAPES, out_channels=16).eval()
    feats = features()
    out = fpn(feats)
    assert [tuple(out[f"p{k}"].shape) for k in (2, 3, 4, 5)] == [(2, 16, 17, 13), (2, 16, 9, 7), (2, 16, 5, 4), (2, 16, 3, 2)]
    assert all(out[name] is feats[name] for name in SHAPES)
    shape = fpn.output_shape()
    assert [shape[f"p{k}"] for k in (2, 3, 4, 5)] == [ShapeSpec(16, 4), ShapeSpec(16, 8), ShapeSpec(16, 16), ShapeSpec(16, 32)]
    assert shape["res5"] == SHAPES["res5"]


def test_layout_of_mmseg_and_detectron2():
    fpn = FPN(SHAPES, out_channels=16)
    assert [c[0].in_channels for c in fpn.lateral_convs] == [8, 16, 32, 64]
    assert all(c[0].kernel_size == (1, 1) and c[0].bias is not None and isinstance(c[1], nn.Identity) for c in fpn.lateral_convs)
    assert all(c[0].kernel_size == (3, 3) and c[0].bias is not None and c[0].padding == (1, 1) for c in fpn.output_convs)
    assert not any(isinstance(m, nn.ReLU) for m in fpn.modules())
    normed = FPN(SHAPES, out_channels=16, norm="GN")
    assert normed.lateral_convs[0][0].bias is None and isinstance(normed.output_convs[3][1], nn.GroupNorm)


def identity_laterals(fpn):
    """Laterals that copy the first 8 channels (and zero biases), output convs that do nothing."""
    with torch.no_grad():
        for conv in fpn.lateral_convs:
            conv[0].weight.zero_()
            conv[0].weight[:, :8, 0, 0] = torch.eye(8)
            conv[0].bias.zero_()
    return fpn


def test_the_deepest_map_reaches_p2_through_every_level():
    """P_k = L_k + up(P_(k+1)): with only res5 non-zero, p2 is res5 up-sampled (nearest) three times.
    A neck adding to each lateral only the lateral above (not the running sum) gives p2 = 0."""
    fpn = identity_laterals(FPN(SHAPES, out_channels=8, output_convs=False)).eval()
    feats = features(only="res5")
    out = fpn(feats)
    expected = feats["res5"][:, :8]
    for k in (4, 3, 2):
        expected = F.interpolate(expected, size=out[f"p{k}"].shape[-2:], mode="nearest")
        assert torch.equal(out[f"p{k}"], expected), k
    assert out["p2"].abs().sum() > 0


def test_each_level_sums_its_lateral_with_the_level_above():
    fpn = identity_laterals(FPN(SHAPES, out_channels=8, output_convs=False)).eval()
    feats = features(h=64, w=96)
    out = fpn(feats)
    up = F.interpolate(out["p4"], scale_factor=2.0, mode="nearest")  # detectron2's and smp's top-down step
    assert torch.equal(out["p3"], feats["res3"][:, :8] + up)
    avg = identity_laterals(FPN(SHAPES, out_channels=8, output_convs=False, fuse_type="avg")).eval()(feats)
    assert torch.allclose(avg["p4"], (feats["res4"][:, :8] + F.interpolate(avg["p5"], scale_factor=2.0)) / 2)


def test_smp_design_has_no_output_convs():
    fpn = FPN(SHAPES, out_channels=16, output_convs=False).eval()
    assert fpn.output_convs is None
    feats = features()
    assert torch.equal(fpn(feats)["p5"], fpn.lateral_convs[3](feats["res5"]))
    n_mmseg = sum(p.numel() for p in FPN(SHAPES, out_channels=16).parameters())
    assert n_mmseg - sum(p.numel() for p in fpn.parameters()) == 4 * (16 * 16 * 9 + 16)


def test_bad_configurations_name_the_key():
    with pytest.raises(ValueError, match=r"MODEL.FPN.IN_FEATURES \['res4', 'res6'\] are not all among"):
        FPN(SHAPES, in_features=("res4", "res6"))
    dilated = dict(SHAPES, res4=ShapeSpec(32, 8), res5=ShapeSpec(64, 8))
    with pytest.raises(ValueError, match=r"have strides \[4, 8, 8, 8\].*OUTPUT_STRIDE 32"):
        FPN(dilated)
    with pytest.raises(ValueError, match="MODEL.FPN.FUSE_TYPE must be one of \\('sum', 'avg'\\), got 'max'"):
        FPN(SHAPES, fuse_type="max")
