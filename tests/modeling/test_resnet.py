import pytest
import torch
import torchvision
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import Backbone, ResNet, ShapeSpec, build_resnet_backbone
from seg_engine.modeling.registry import BACKBONE_REGISTRY
from seg_engine.utils.testing import randomize_batchnorm

ALL_FEATURES = ["stem", "res2", "res3", "res4", "res5"]


def make_cfg(**resnets):
    cfg = get_cfg()
    cfg.MODEL.RESNETS.DEPTH = 50
    cfg.MODEL.RESNETS.BASE_WIDTH = 8
    cfg.MODEL.RESNETS.OUT_FEATURES = list(ALL_FEATURES)
    for key, value in resnets.items():
        if key == "FREEZE_AT":
            cfg.MODEL.BACKBONE.FREEZE_AT = value
        else:
            setattr(cfg.MODEL.RESNETS, key, value)
    return cfg


def num_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def test_registered_and_is_a_backbone():
    assert BACKBONE_REGISTRY.get("build_resnet_backbone") is build_resnet_backbone
    model = build_resnet_backbone(make_cfg(DEPTH=18))
    assert isinstance(model, ResNet) and isinstance(model, Backbone)


# ---------------------------------------------------------------------------- parameter counts
# torchvision ResNet-50 has 25,557,032 parameters, its fc 2048 * 1000 + 1000 = 2,049,000.
R50_BASIC = 23_508_032
R101_BASIC = 42_500_160  # torchvision 44,549,160 minus the same fc
# The deep stem replaces conv1 7x7 (3*64*49 = 9,408) + bn1 (128) by
#   3*64*9 + 64*64*9 + 64*128*9 = 112,320 conv weights + (64 + 64 + 128) * 2 = 512 BN params,
# and layer1 then takes 128 channels: layer1.0.conv1 128->64 (+64*64 = 4,096) and its
# downsample 128->256 (+64*256 = 16,384). Net: -9,536 + 112,832 + 20,480 = +123,776.
DEEP_STEM_DELTA = (
    -(3 * 64 * 49 + 2 * 64)
    + (3 * 64 * 9 + 64 * 64 * 9 + 64 * 128 * 9 + 2 * 256)
    + 64 * 64
    + 64 * 256
)
R50_DEEP = 23_631_808  # hszhao/semseg resnet50 (deep_base) minus fc
R101_DEEP = 42_623_936  # hszhao/semseg resnet101 (deep_base) minus fc


def _count(depth: int, stem: str, **resnets) -> int:
    with torch.device("meta"):  # no memory or init cost for the big nets
        return num_params(build_resnet_backbone(make_cfg(DEPTH=depth, STEM=stem, BASE_WIDTH=64, **resnets)))


def _torchvision_count_without_fc(depth: int) -> int:
    with torch.device("meta"):
        tv = getattr(torchvision.models, f"resnet{depth}")(weights=None)
    return num_params(tv) - num_params(tv.fc)


def test_pinned_counts_are_consistent():
    assert DEEP_STEM_DELTA == 123_776
    assert R50_DEEP == R50_BASIC + DEEP_STEM_DELTA
    assert R101_DEEP == R101_BASIC + DEEP_STEM_DELTA


def test_resnet50_basic_stem_matches_torchvision_without_fc():
    assert _count(50, "basic", OUTPUT_STRIDE=32) == R50_BASIC == _torchvision_count_without_fc(50)


@pytest.mark.parametrize("output_stride, first", [(8, "full"), (8, "half"), (16, "full"), (32, "full")])
def test_deep_stem_counts_match_hszhao_and_do_not_depend_on_dilation(output_stride, first):
    kwargs = dict(OUTPUT_STRIDE=output_stride, FIRST_BLOCK_DILATION=first)
    assert _count(50, "deep", **kwargs) == R50_DEEP
    assert _count(101, "deep", **kwargs) == R101_DEEP


@pytest.mark.parametrize("depth, expected", [(18, 11_176_512), (34, 21_284_672), (152, 58_143_808)])
def test_other_depths_match_torchvision(depth, expected):
    assert _count(depth, "basic") == expected == _torchvision_count_without_fc(depth)


def test_deep_stem_layout_is_hszhaos():
    sd = build_resnet_backbone(make_cfg(DEPTH=50, STEM="deep", BASE_WIDTH=64)).state_dict()
    assert sd["conv1.weight"].shape == (64, 3, 3, 3)
    assert sd["conv2.weight"].shape == (64, 64, 3, 3)
    assert sd["conv3.weight"].shape == (128, 64, 3, 3)
    assert sd["bn3.running_var"].shape == (128,)
    assert sd["layer1.0.conv1.weight"].shape == (64, 128, 1, 1)
    assert sd["layer1.0.downsample.0.weight"].shape == (256, 128, 1, 1)
    assert sd["layer1.0.downsample.1.weight"].shape == (256,)
    assert sd["layer4.2.conv3.weight"].shape == (2048, 512, 1, 1)


def test_stem_width_32_is_mmsegmentations_resnet_v1c():
    with torch.device("meta"):
        net = build_resnet_backbone(make_cfg(DEPTH=50, STEM="deep", BASE_WIDTH=64, STEM_WIDTH=32))
    sd = net.state_dict()
    assert [sd[f"conv{i}.weight"].shape[:2] for i in (1, 2, 3)] == [(32, 3), (32, 32), (64, 32)]
    assert sd["layer1.0.conv1.weight"].shape == (64, 64, 1, 1)
    # 84,064 fewer in the stem (3x3 convs of 32/32/64 and their BN) and 20,480 in layer1.0's inputs.
    assert num_params(net) == R50_DEEP - 104_544


# ---------------------------------------------------------------------------- torchvision parity
@pytest.mark.parametrize("depth", [18, 50])
def test_torchvision_state_dict_loads_strict_and_features_match(depth):
    torch.manual_seed(depth)
    tv = getattr(torchvision.models, f"resnet{depth}")(weights=None).eval()
    randomize_batchnorm(tv)  # non-trivial statistics so a mis-mapped norm would show
    state = {k: v for k, v in tv.state_dict().items() if not k.startswith("fc.")}
    model = build_resnet_backbone(make_cfg(DEPTH=depth, STEM="basic", BASE_WIDTH=64, OUTPUT_STRIDE=32))
    model.load_state_dict(state, strict=True)
    model.eval()

    x = torch.randn(2, 3, 65, 65)
    with torch.no_grad():
        out = model(x)
        y = tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))
        expected = {"stem": y}
        for i, name in enumerate(["res2", "res3", "res4", "res5"]):
            y = getattr(tv, f"layer{i + 1}")(y)
            expected[name] = y
    assert list(out) == ALL_FEATURES
    for name in ALL_FEATURES:
        scale = max(1.0, expected[name].abs().max().item())
        assert (out[name] - expected[name]).abs().max().item() <= 1e-5 * scale, name


# ---------------------------------------------------------------------------- dilation
# Per block (dilation of its 3x3 convs) for layer3 and layer4 of a ResNet-50 (6 and 3 blocks).
DILATIONS = {
    ("full", 8): ([2] * 6, [4] * 3),
    ("full", 16): ([1] * 6, [2] * 3),
    ("half", 8): ([1] + [2] * 5, [2, 4, 4]),
    ("half", 16): ([1] * 6, [1, 2, 2]),
    ("full", 32): ([1] * 6, [1] * 3),
    ("half", 32): ([1] * 6, [1] * 3),
}
# Stride of the first block of layer3 and layer4 (its 3x3 conv and its downsample).
STRIDES = {8: (1, 1), 16: (2, 1), 32: (2, 2)}


def _check_stage(layer: nn.Sequential, dilations, first_stride, convs3x3):
    assert len(layer) == len(dilations)
    for i, (block, d) in enumerate(zip(layer, dilations)):
        stride = first_stride if i == 0 else 1
        for name in convs3x3:
            conv = getattr(block, name)
            assert conv.kernel_size == (3, 3)
            assert conv.dilation == (d, d) and conv.padding == (d, d), (i, name)
            expected_stride = stride if name == convs3x3[0] else 1
            assert conv.stride == (expected_stride, expected_stride), (i, name)
        for name in ("conv1", "conv3"):
            conv = getattr(block, name, None)
            if conv is not None and conv.kernel_size == (1, 1):
                assert conv.stride == (1, 1)
        if i == 0:
            assert block.downsample[0].kernel_size == (1, 1)
            assert block.downsample[0].stride == (first_stride, first_stride)
        else:
            assert block.downsample is None


@pytest.mark.parametrize("first, output_stride", sorted(DILATIONS))
def test_dilation_tables_bottleneck(first, output_stride):
    model = build_resnet_backbone(make_cfg(OUTPUT_STRIDE=output_stride, FIRST_BLOCK_DILATION=first))
    d3, d4 = DILATIONS[first, output_stride]
    s3, s4 = STRIDES[output_stride]
    _check_stage(model.layer3, d3, s3, ["conv2"])
    _check_stage(model.layer4, d4, s4, ["conv2"])
    for layer in (model.layer1, model.layer2):
        assert all(block.conv2.dilation == (1, 1) for block in layer)
    assert model.layer2[0].conv2.stride == (2, 2) and model.layer1[0].conv2.stride == (1, 1)


@pytest.mark.parametrize("first, output_stride", [("full", 8), ("half", 8), ("half", 16)])
def test_dilation_tables_basic_block(first, output_stride):
    model = build_resnet_backbone(make_cfg(DEPTH=34, OUTPUT_STRIDE=output_stride, FIRST_BLOCK_DILATION=first))
    d3, d4 = DILATIONS[first, output_stride]
    s3, s4 = STRIDES[output_stride]
    _check_stage(model.layer3, d3, s3, ["conv1", "conv2"])
    _check_stage(model.layer4, d4, s4, ["conv1", "conv2"])


@pytest.mark.parametrize("output_stride", [8, 16])
def test_mmsegmentations_basic_block_dilates_its_first_conv_only(output_stride):
    """mmsegmentation's r18-d8 models (BasicBlock): conv2 of every BasicBlock stays undilated, also after a re-dilation."""
    model = build_resnet_backbone(make_cfg(DEPTH=34, OUTPUT_STRIDE=32, BASIC_BLOCK_DILATION="first"))
    model.set_output_stride(output_stride)
    d3, d4 = DILATIONS["full", output_stride]
    s3, s4 = STRIDES[output_stride]
    _check_stage(model.layer3, d3, s3, ["conv1"])
    _check_stage(model.layer4, d4, s4, ["conv1"])
    assert all(b.conv2.dilation == (1, 1) and b.conv2.padding == (1, 1) for b in [*model.layer3, *model.layer4])
    x = torch.randn(1, 3, 33, 49)
    assert model(x)["res5"].shape[-2:] == build_resnet_backbone(make_cfg(DEPTH=34, OUTPUT_STRIDE=output_stride))(x)["res5"].shape[-2:]


@pytest.mark.parametrize("output_stride", [8, 16, 32])
@pytest.mark.parametrize("stem", ["basic", "deep"])
@pytest.mark.parametrize("size", [65, 64])
def test_output_sizes_and_shapes(output_stride, stem, size):
    model = build_resnet_backbone(make_cfg(STEM=stem, OUTPUT_STRIDE=output_stride))
    if stem == "basic":
        s = conv_out(size, 7, 2, 3)
    else:
        s = conv_out(conv_out(conv_out(size, 3, 2, 1), 3, 1, 1), 3, 1, 1)
    s = conv_out(s, 3, 2, 1)  # max pool
    sizes = {"stem": s, "res2": s}
    s4, s5 = STRIDES[output_stride]
    for name, stage_stride in [("res3", 2), ("res4", s4), ("res5", s5)]:
        s = conv_out(s, 3, stage_stride, 1)
        sizes[name] = s
    if size == 65:  # 65 -> 33 -> 17 (pool) -> 9 -> 5 -> 3 when every stage strides
        res4_res5 = {8: (9, 9), 16: (5, 5), 32: (5, 3)}[output_stride]
        assert (sizes["stem"], sizes["res2"], sizes["res3"], sizes["res4"], sizes["res5"]) == (17, 17, 9, *res4_res5)

    out = model(torch.randn(1, 3, size, size))
    base = 8
    channels = {"stem": base if stem == "basic" else 2 * base, "res2": 4 * base, "res3": 8 * base,
                "res4": 16 * base, "res5": 32 * base}
    strides = {"stem": 4, "res2": 4, "res3": 8, "res4": min(16, output_stride), "res5": output_stride}
    assert list(out) == ALL_FEATURES
    for name, feature in out.items():
        assert tuple(feature.shape) == (1, channels[name], sizes[name], sizes[name]), name
    expected_shapes = {n: ShapeSpec(channels=channels[n], stride=strides[n]) for n in ALL_FEATURES}
    assert model.output_shape() == expected_shapes


def test_only_requested_features_and_stages_up_to_the_deepest():
    model = build_resnet_backbone(make_cfg(OUT_FEATURES=["res3", "stem"]))
    assert not hasattr(model, "layer3") and not hasattr(model, "layer4")
    out = model(torch.randn(1, 3, 65, 65))
    assert list(out) == ["stem", "res3"]
    assert list(model.output_shape()) == ["stem", "res3"]

    stem_only = build_resnet_backbone(make_cfg(OUT_FEATURES=["stem"]))
    assert not hasattr(stem_only, "layer1")
    assert stem_only(torch.randn(1, 3, 33, 33))["stem"].shape == (1, 16, 9, 9)


# ---------------------------------------------------------------------------- freezing
FROZEN_PREFIXES = {
    0: (),
    1: ("conv1.", "bn1.", "conv2.", "bn2.", "conv3.", "bn3."),
}
for _k in range(2, 6):
    FROZEN_PREFIXES[_k] = FROZEN_PREFIXES[1] + tuple(f"layer{i}." for i in range(1, _k))


@pytest.mark.parametrize("freeze_at", [0, 1, 2, 3, 5])
def test_freeze_at(freeze_at):
    torch.manual_seed(0)
    model = build_resnet_backbone(make_cfg(DEPTH=18, STEM="deep", FREEZE_AT=freeze_at))
    prefixes = FROZEN_PREFIXES[freeze_at]

    def frozen(name: str) -> bool:
        return name.startswith(prefixes)

    for name, p in model.named_parameters():
        assert p.requires_grad == (not frozen(name)), name
        assert not (frozen(name) and "bn" in name.split(".")[-2]), f"{name}: a frozen norm kept parameters"
    for name, m in model.named_modules():
        if "bn" in name.split(".")[-1] or name.endswith("downsample.1"):
            assert isinstance(m, FrozenBatchNorm2d if frozen(name + ".") else nn.BatchNorm2d), name

    # Same checkpoint keys as an unfrozen model (FrozenBN just has no num_batches_tracked), and a
    # BN checkpoint loads strict.
    reference = build_resnet_backbone(make_cfg(DEPTH=18, STEM="deep"))
    ref_keys = {k for k in reference.state_dict() if not k.endswith("num_batches_tracked")}
    assert {k for k in model.state_dict() if not k.endswith("num_batches_tracked")} == ref_keys
    model.load_state_dict(reference.state_dict(), strict=True)

    # Frozen norms keep their statistics in train mode, even after .train(); the others update.
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = model(torch.randn(2, 3, 65, 65) * 2 + 1)
    for key, value in model.state_dict().items():
        if key.endswith("running_mean"):
            assert torch.equal(value, before[key]) == frozen(key), key
    if freeze_at == 5:
        assert not out["res5"].requires_grad
        return
    sum(o.sum() for o in out.values()).backward()
    for name, p in model.named_parameters():
        assert (p.grad is None) == frozen(name), name


def test_freeze_with_group_norm_stops_gradients():
    model = build_resnet_backbone(make_cfg(DEPTH=18, NORM="GN", FREEZE_AT=2))
    assert not model.bn1.weight.requires_grad and not model.layer1[0].bn1.weight.requires_grad
    assert model.layer2[0].bn1.weight.requires_grad


# ---------------------------------------------------------------------------- norms and depths
def test_group_norm_narrow_net():
    model = build_resnet_backbone(make_cfg(NORM="GN", BASE_WIDTH=8, STEM="deep"))
    norms = [m for n, m in model.named_modules() if "bn" in n.split(".")[-1] or n.endswith("downsample.1")]
    assert norms and all(isinstance(m, nn.GroupNorm) for m in norms)
    assert model.bn1.num_groups == 8 and model.layer4[0].bn3.num_groups == 32
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    out = model(torch.randn(2, 3, 65, 65))
    assert out["res5"].shape == (2, 256, 9, 9)


@pytest.mark.parametrize("norm, cls", [("FrozenBN", FrozenBatchNorm2d), ("SyncBN", nn.SyncBatchNorm)])
def test_norm_selection(norm, cls):
    model = build_resnet_backbone(make_cfg(DEPTH=18, NORM=norm))
    assert isinstance(model.bn1, cls) and isinstance(model.layer3[0].downsample[1], cls)
    assert not any(type(m) is nn.BatchNorm2d for m in model.modules())


def test_frozen_bn_net_has_no_norm_parameters():
    model = build_resnet_backbone(make_cfg(DEPTH=18, STEM="basic", NORM="FrozenBN"))
    for name, _ in model.named_parameters():
        assert isinstance(model.get_submodule(name.rsplit(".", 1)[0]), nn.Conv2d), name
    assert model(torch.randn(1, 3, 65, 65))["res5"].shape == (1, 64, 9, 9)


@pytest.mark.parametrize("depth, blocks", [(18, [2, 2, 2, 2]), (34, [3, 4, 6, 3]), (152, [3, 8, 36, 3])])
def test_depths_build_and_run(depth, blocks):
    model = build_resnet_backbone(make_cfg(DEPTH=depth, BASE_WIDTH=4, OUTPUT_STRIDE=16))
    assert [len(getattr(model, f"layer{i}")) for i in range(1, 5)] == blocks
    out = model(torch.randn(1, 3, 33, 33))
    expansion = 1 if depth < 50 else 4
    assert out["res5"].shape == (1, 32 * expansion, 3, 3)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "key, value, message",
    [
        ("DEPTH", 42, "MODEL.RESNETS.DEPTH"),
        ("STEM", "wide", "MODEL.RESNETS.STEM"),
        ("BASE_WIDTH", 0, "MODEL.RESNETS.BASE_WIDTH"),
        ("NORM", "LN", "MODEL.RESNETS.NORM"),
        ("OUTPUT_STRIDE", 4, "MODEL.RESNETS.OUTPUT_STRIDE"),
        ("FIRST_BLOCK_DILATION", "quarter", "MODEL.RESNETS.FIRST_BLOCK_DILATION"),
        ("BASIC_BLOCK_DILATION", "second", "MODEL.RESNETS.BASIC_BLOCK_DILATION"),
        ("OUT_FEATURES", ["res6"], "MODEL.RESNETS.OUT_FEATURES"),
        ("OUT_FEATURES", [], "MODEL.RESNETS.OUT_FEATURES"),
        ("FREEZE_AT", 6, "MODEL.BACKBONE.FREEZE_AT"),
    ],
)
def test_invalid_config_names_the_key(key, value, message):
    with pytest.raises(ValueError, match=message) as info:
        build_resnet_backbone(make_cfg(**{key: value}))
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("stem", ["basic", "deep"])
def test_conv1_is_the_stem_activation_before_the_max_pool(stem):
    net = ResNet(18, stem=stem, base_width=8, output_stride=32, out_features=["conv1", "stem", "res2"]).eval()
    out = net(torch.randn(1, 3, 33, 49))
    assert list(out) == ["conv1", "stem", "res2"]
    assert tuple(out["conv1"].shape) == (1, 16 if stem == "deep" else 8, 17, 25)
    assert net.output_shape()["conv1"] == ShapeSpec(channels=out["conv1"].shape[1], stride=2)
    assert out["conv1"].min() >= 0
    assert torch.equal(net.maxpool(out["conv1"]), out["stem"])
    assert not hasattr(ResNet(18, stem=stem, base_width=8, out_features=["conv1"]), "layer1")
def test_explicit_dilations_keep_the_strides():
    """mmsegmentation's FastFCN backbone: strided to 32 and dilated (1, 1, 2, 4), first blocks at half."""
    from seg_engine.modeling.backbone.resnet import stage_schedule

    assert stage_schedule(32, "half", (1, 1, 2, 4)) == [(1, 1, 1), (2, 1, 1), (2, 1, 2), (2, 2, 4)]
    assert stage_schedule(8, "half", (1, 1, 2, 4)) == stage_schedule(8, "half")
    model = build_resnet_backbone(make_cfg(DEPTH=18, OUTPUT_STRIDE=32, FIRST_BLOCK_DILATION="half", DILATIONS=[1, 1, 2, 4]))
    # BasicBlock: conv1 carries the stride, both convs the block's dilation.
    assert model.layer4[0].conv1.stride == (2, 2) and model.layer4[0].conv1.dilation == (2, 2)
    assert model.layer4[1].conv2.dilation == (4, 4) and model.layer3[0].conv1.dilation == (1, 1)
    assert model(torch.randn(1, 3, 33, 49))["res5"].shape[-2:] == (2, 2)
    with pytest.raises(ValueError, match="MODEL.RESNETS.DILATIONS must be empty or 4"):
        stage_schedule(32, "half", (1, 2))
