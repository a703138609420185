import math

import pytest
import torch
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import Backbone, Xception, build_xception_backbone
from seg_engine.modeling.backbone.xception import XceptionBlock
from seg_engine.modeling.registry import BACKBONE_REGISTRY
from seg_engine.utils.testing import randomize_batchnorm

ALL_FEATURES = ["stem", "res2", "res3", "res4", "res5"]


def make_cfg(**xception):
    cfg = get_cfg()
    cfg.MODEL.BACKBONE.NAME = "build_xception_backbone"
    cfg.MODEL.XCEPTION.DEPTH = 41
    cfg.MODEL.XCEPTION.WIDTH_DIVISOR = 8
    cfg.MODEL.XCEPTION.OUT_FEATURES = list(ALL_FEATURES)
    for key, value in xception.items():
        if key == "FREEZE_AT":
            cfg.MODEL.BACKBONE.FREEZE_AT = value
        else:
            setattr(cfg.MODEL.XCEPTION, key, value)
    return cfg


def narrow(depth=41, output_stride=16, seed=0, **kwargs) -> Xception:
    """A narrow net (widths / 8) with random BN statistics, in eval mode."""
    torch.manual_seed(seed)
    model = Xception(depth, output_stride, ALL_FEATURES, width_divisor=8, **kwargs)
    return randomize_batchnorm(model, seed=seed).eval()


def test_registered_and_is_a_backbone():
    assert BACKBONE_REGISTRY.get("build_xception_backbone") is build_xception_backbone
    model = build_xception_backbone(make_cfg())
    assert isinstance(model, Xception) and isinstance(model, Backbone)
    assert (len(model.entry_flow), len(model.middle_flow), len(model.exit_flow)) == (3, 8, 2)


# ---------------------------------------------------------------------------- parameter counts
# timm's xception41/65/71 (timm/models/xception_aligned.py) have 26,969,560 / 39,916,312 / 42,338,736
# parameters with their fc 2048 * 1000 + 1000 = 2,049,000.
TIMM_FC = 2048 * 1000 + 1000


@pytest.mark.parametrize(
    "depth, params, keys",
    [(41, 26_969_560 - TIMM_FC, 506 - 2), (65, 39_916_312 - TIMM_FC, 794 - 2), (71, 42_338_736 - TIMM_FC, 878 - 2)],
)
def test_parameter_counts_equal_timms_without_the_classifier(depth, params, keys):
    with torch.device("meta"):
        model = Xception(depth)
    assert sum(p.numel() for p in model.parameters()) == params
    assert len(model.state_dict()) == keys
    assert params == {41: 24_920_560, 65: 37_867_312, 71: 40_289_736}[depth]


def test_the_default_config_is_xception65_at_output_stride_16_with_the_tf_low_level_tap():
    with torch.device("meta"):
        model = build_xception_backbone(get_cfg())
    assert sum(p.numel() for p in model.parameters()) == 37_867_312
    assert model.output_stride == 16 and model.tap_before_relu
    assert {k: (v.channels, v.stride) for k, v in model.output_shape().items()} == {
        "res2": (256, 4), "res3": (728, 8), "res4": (1024, 16), "res5": (2048, 16)
    }


def test_batchnorm_eps_is_tensorflows_and_every_conv_is_bias_free():
    model = narrow()
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.eps == 1e-3 for m in norms)
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Conv2d))


# ---------------------------------------------------------------------------- shapes and strides
def expected_size(size: int, stride: int) -> int:
    """3x3 convs with padding 1 and stride 2 give ceil(n / 2) at each halving."""
    for _ in range(int(math.log2(stride))):
        size = math.ceil(size / 2)
    return size


@pytest.mark.parametrize(
    "output_stride, strides",
    [(8, [2, 4, 8, 8, 8]), (16, [2, 4, 8, 16, 16]), (32, [2, 4, 8, 16, 32])],
)
def test_features_have_the_declared_channels_and_strides_at_odd_sizes(output_stride, strides):
    model = narrow(output_stride=output_stride)
    shapes = model.output_shape()
    assert list(shapes) == ALL_FEATURES
    assert [shapes[n].stride for n in ALL_FEATURES] == strides
    assert [shapes[n].channels for n in ALL_FEATURES] == [16, 32, 91, 128, 256]  # 128, 256, 728, 1024, 2048 / 8
    with torch.no_grad():
        out = model(torch.randn(2, 3, 33, 49))
    for name in ALL_FEATURES:
        s = shapes[name].stride
        assert out[name].shape == (2, shapes[name].channels, expected_size(33, s), expected_size(49, s)), name


def test_xception71_taps_its_three_strided_entry_blocks():
    model = narrow(depth=71, output_stride=16)
    assert len(model.entry_flow) == 5 and len(model.middle_flow) == 16
    # TF's Xception-71 keeps a 1x1 conv skip on entry blocks 2 and 4 (256 -> 256, 728 -> 728, stride 2).
    assert all(block.shortcut is not None for block in model.entry_flow)
    with torch.no_grad():
        out = model(torch.randn(1, 3, 33, 49))
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {
        "stem": (16, 17, 25), "res2": (32, 9, 13), "res3": (91, 5, 7), "res4": (128, 3, 4), "res5": (256, 3, 4)
    }


def test_strides_past_the_output_stride_become_dilations():
    """As timm, and as jfzhang95's exit-flow dilations (1, 2) at OS 16 and (2, 4) at OS 8."""
    def layout(model):
        return [(b.conv3.conv_dw.stride[0], b.conv1.conv_dw.dilation[0]) for b in model.blocks()]

    os32, os16, os8 = (layout(Xception(41, os, width_divisor=8)) for os in (32, 16, 8))
    middle = [(1, 1)] * 8
    assert os32 == [(2, 1), (2, 1), (2, 1)] + middle + [(2, 1), (1, 1)]
    assert os16 == [(2, 1), (2, 1), (2, 1)] + middle + [(1, 1), (1, 2)]
    assert os8 == [(2, 1), (2, 1), (1, 1)] + [(1, 2)] * 8 + [(1, 2), (1, 4)]


# ---------------------------------------------------------------------------- blocks
def test_identity_skip_adds_x_not_relu_x():
    """jfzhang95's and the seed's blocks start with ReLU(inplace=True), so the skip adds relu(x)."""
    block = XceptionBlock(8, (8, 8, 8)).eval()
    assert block.shortcut is None
    with torch.no_grad():
        nn.init.zeros_(block.conv3.bn_pw.weight)  # the residual branch now outputs exactly 0
        nn.init.zeros_(block.conv3.bn_pw.bias)
        x = torch.randn(2, 8, 9, 7)
        x_before = x.clone()
        out = block(x)
    assert (x_before < 0).any()
    torch.testing.assert_close(out, x_before, rtol=0, atol=0)
    torch.testing.assert_close(x, x_before, rtol=0, atol=0)  # the input is not changed in place


def test_the_middle_flow_of_the_whole_net_leaves_its_input_unchanged():
    model = narrow()
    captured = {}
    block = model.middle_flow[0]
    block.register_forward_pre_hook(lambda m, args: captured.setdefault("in", args[0].clone()))
    block.register_forward_hook(lambda m, args, out: captured.setdefault("after", args[0].clone()))
    with torch.no_grad():
        model(torch.randn(1, 3, 33, 49))
    assert (captured["in"] < 0).any()
    torch.testing.assert_close(captured["after"], captured["in"], rtol=0, atol=0)


def test_the_last_exit_block_has_relus_inside_its_separable_convs_and_no_skip():
    model = narrow()
    last = model.exit_flow[-1]
    assert last.shortcut is None and last.relu_inside
    for sep in (last.conv1, last.conv2, last.conv3):
        assert isinstance(sep.act_dw, nn.ReLU) and isinstance(sep.act_pw, nn.ReLU)
    others = [b for b in model.blocks() if b is not last]
    assert all(isinstance(b.conv2.act_dw, nn.Identity) and isinstance(b.conv2.act_pw, nn.Identity) for b in others)
    with torch.no_grad():
        res5 = model(torch.randn(1, 3, 33, 49))["res5"]
    assert res5.min() == 0 and res5.max() > 0


def test_pre_relu_taps_are_the_post_relu_taps_before_their_relu():
    """TF's DeepLab decoder reads separable_conv2_pointwise (pre-ReLU), timm features_only its ReLU."""
    x = torch.randn(1, 3, 33, 49)
    with torch.no_grad():
        pre = narrow(feature_tap="pre_relu")(x)
        post = narrow(feature_tap="post_relu")(x)
    for name in ["stem", "res2", "res3", "res4"]:
        assert (pre[name] < 0).any(), name
        torch.testing.assert_close(post[name], pre[name].relu(), rtol=0, atol=0)
    torch.testing.assert_close(post["res5"], pre["res5"], rtol=0, atol=0)


# ---------------------------------------------------------------------------- output stride switch
@pytest.mark.slow
def test_set_output_stride_equals_building_at_that_stride_with_the_same_weights():
    x = torch.randn(1, 3, 33, 49)
    model = narrow(output_stride=16)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    for output_stride in (8, 32, 16):
        model.set_output_stride(output_stride)
        built = Xception(41, output_stride, ALL_FEATURES, width_divisor=8).eval()
        built.load_state_dict(weights)
        assert model.output_stride == output_stride
        assert model.output_shape() == built.output_shape()
        with torch.no_grad():
            ours, theirs = model(x), built(x)
        for name in ALL_FEATURES:
            torch.testing.assert_close(ours[name], theirs[name], rtol=0, atol=0)
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key


# ---------------------------------------------------------------------------- freezing
def test_freeze_at_stops_everything_the_feature_depends_on():
    model = build_xception_backbone(make_cfg(FREEZE_AT=2))  # up to res2: entry block 1's conv2
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert "stem.0.0.weight" in frozen and "entry_flow.0.conv3.conv_pw.weight" in frozen
    assert "entry_flow.1.conv2.conv_pw.weight" in frozen
    assert "entry_flow.1.conv3.conv_dw.weight" not in frozen and "entry_flow.1.shortcut.0.weight" not in frozen
    assert isinstance(model.entry_flow[1].conv2.bn_pw, FrozenBatchNorm2d)
    assert isinstance(model.entry_flow[1].conv3.bn_dw, nn.BatchNorm2d)
    everything = build_xception_backbone(make_cfg(FREEZE_AT=5))
    assert not any(p.requires_grad for p in everything.parameters())


# ---------------------------------------------------------------------------- bad configs
@pytest.mark.parametrize(
    "key, value, message",
    [
        ("DEPTH", 50, "MODEL.XCEPTION.DEPTH (depth) must be one of (41, 65, 71), got 50"),
        ("OUTPUT_STRIDE", 4, "MODEL.XCEPTION.OUTPUT_STRIDE (output_stride) must be one of (8, 16, 32), got 4"),
        ("OUT_FEATURES", ["res6"], "MODEL.XCEPTION.OUT_FEATURES (out_features) must be a non-empty subset"),
        ("NORM", "LN", "MODEL.XCEPTION.NORM (norm) must be one of"),
        ("FEATURE_TAP", "relu", "MODEL.XCEPTION.FEATURE_TAP (feature_tap) must be one of ('pre_relu', 'post_relu')"),
        ("WIDTH_DIVISOR", 3, "MODEL.XCEPTION.WIDTH_DIVISOR (width_divisor) must be one of (1, 2, 4, 8), got 3"),
        ("FREEZE_AT", 6, "MODEL.BACKBONE.FREEZE_AT (freeze_at) must be in 0..5, got 6"),
    ],
)
def test_bad_config_values_raise_one_line_errors_naming_the_key(key, value, message):
    with pytest.raises(ValueError) as info:
        build_xception_backbone(make_cfg(**{key: value}))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_set_output_stride_refuses_a_bad_stride_and_keeps_the_old_one():
    model = narrow(output_stride=16)
    with pytest.raises(ValueError) as info:
        model.set_output_stride(64)
    assert str(info.value) == "MODEL.XCEPTION.OUTPUT_STRIDE (output_stride) must be one of (8, 16, 32), got 64"
    assert model.output_stride == 16 and model.output_shape()["res5"].stride == 16


@pytest.mark.parametrize("feature_tap", ["pre_relu", "post_relu"])
def test_trains_every_parameter_through_the_in_place_relus(feature_tap):
    model = Xception(41, 16, ALL_FEATURES, feature_tap=feature_tap, width_divisor=8).train()
    out = model(torch.randn(2, 3, 33, 49))
    sum(v.square().mean() for v in out.values()).backward()
    assert [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0] == []
