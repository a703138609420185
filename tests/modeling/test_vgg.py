"""The VGG backbone: torchvision's key layout and parameter counts, strides, ceil-mode pooling, pooling
indices for unpooling, fc6/fc7 from torchvision's classifier, and loading torchvision checkpoints."""
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from seg_engine.checkpoint import Checkpointer, convert_weights
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.modeling.backbone import VGG, build_vgg_backbone
from seg_engine.modeling.backbone.vgg import VGG_BLOCKS
from seg_engine.modeling.registry import BACKBONE_REGISTRY

ALL_MAPS = [f"{kind}{k}" for k in range(1, 6) for kind in ("conv", "pool")]


def num_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# torchvision 0.29.1 ``vggN(_bn).features``: parameter counts and the indices of the pools.
TORCHVISION = {
    (11, ""): (9_220_480, [2, 5, 10, 15, 20]),
    (13, ""): (9_404_992, [4, 9, 14, 19, 24]),
    (16, ""): (14_714_688, [4, 9, 16, 23, 30]),
    (16, "BN"): (14_723_136, [6, 13, 23, 33, 43]),
    (19, ""): (20_024_384, [4, 9, 18, 27, 36]),
    (19, "BN"): (20_035_392, [6, 13, 26, 39, 52]),
}


@pytest.mark.parametrize("depth, norm", list(TORCHVISION), ids=lambda v: str(v))
def test_keys_shapes_and_counts_equal_torchvisions(depth, norm):
    with torch.device("meta"):
        ours = VGG(depth, norm, out_features=["pool5"])
        theirs = getattr(torchvision.models, f"vgg{depth}{'_bn' if norm else ''}")(weights=None)
    expected = {f"features.{k}": tuple(v.shape) for k, v in theirs.features.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == expected
    count, pools = TORCHVISION[(depth, norm)]
    assert num_params(ours) == count
    assert [i for i, m in enumerate(ours.features) if isinstance(m, nn.MaxPool2d)] == pools


def test_bn_variants_of_11_and_13_match_torchvision_too():
    for depth in (11, 13):
        with torch.device("meta"):
            ours = VGG(depth, "BN")
            theirs = getattr(torchvision.models, f"vgg{depth}_bn")(weights=None).features
        assert [k for k in ours.state_dict()] == [f"features.{k}" for k in theirs.state_dict()]


def test_fc6_fc7_add_the_classifiers_first_two_layers():
    with torch.device("meta"):
        model = VGG(16, fc_as_conv=True, out_features=["fc7"])
    assert num_params(model) == 14_714_688 + (25088 * 4096 + 4096) + (4096 * 4096 + 4096)
    assert model.fc6[0].kernel_size == (7, 7) and model.fc6[0].padding == (0, 0)
    assert model.fc7[0].kernel_size == (1, 1)
    assert model.output_shape()["fc7"].channels == 4096


def test_strides_channels_and_floor_or_ceil_pooling():
    torch.manual_seed(0)
    x = torch.randn(1, 3, 65, 97)
    floor = VGG(11, base_width=4, out_features=ALL_MAPS)
    shapes = floor.output_shape()
    assert [shapes[n].stride for n in ALL_MAPS] == [1, 2, 2, 4, 4, 8, 8, 16, 16, 32]
    assert [shapes[f"pool{k}"].channels for k in range(1, 6)] == [4, 8, 16, 32, 32]
    out = floor(x)
    assert [tuple(out[f"pool{k}"].shape[-2:]) for k in range(1, 6)] == [(32, 48), (16, 24), (8, 12), (4, 6), (2, 3)]
    ceil = VGG(11, base_width=4, ceil_mode=True, out_features=ALL_MAPS)(x)
    assert [tuple(ceil[f"pool{k}"].shape[-2:]) for k in range(1, 6)] == [(33, 49), (17, 25), (9, 13), (5, 7), (3, 4)]
    assert [tuple(ceil[f"conv{k}"].shape[-2:]) for k in range(1, 6)] == [(65, 97), (33, 49), (17, 25), (9, 13), (5, 7)]


def test_first_padding_grows_the_maps_as_fcn_needs():
    out = VGG(11, base_width=4, ceil_mode=True, first_padding=100, out_features=["conv1", "pool5"])(torch.randn(1, 3, 33, 49))
    assert tuple(out["conv1"].shape[-2:]) == (33 + 198, 49 + 198)
    assert tuple(out["pool5"].shape[-2:]) == (8, 8)  # ceil(231 / 32), ceil(247 / 32)


def test_pooling_indices_unpool_each_maximum_to_its_place_at_odd_sizes():
    torch.manual_seed(0)
    model = VGG(16, "BN", base_width=4, ceil_mode=True, return_indices=True,
                out_features=["conv4", "conv5", "pool5"]).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 65, 97))
    assert {f"pool{k}_indices" for k in range(1, 6)} <= set(out)
    pre, pooled, indices = out["conv5"], out["pool5"], out["pool5_indices"]
    expected, expected_indices = F.max_pool2d(pre, 2, 2, ceil_mode=True, return_indices=True)
    assert torch.equal(pooled, expected) and torch.equal(indices, expected_indices)
    restored = F.max_unpool2d(pooled, indices, 2, 2, output_size=pre.shape[-2:])
    assert restored.shape == pre.shape  # (5, 7): not inferable from the (3, 4) pooled size alone
    kept = restored != 0
    assert torch.equal(restored[kept], pre[kept])
    # Each 2x2 window (a lone row/column at the odd border) keeps exactly its maximum.
    window_max = F.max_pool2d(restored, 2, 2, ceil_mode=True)
    assert torch.equal(window_max, pooled)
    assert out["pool4_indices"].shape == out["conv5"].shape


def test_bad_options_raise_naming_the_key():
    with pytest.raises(ValueError, match="MODEL.VGG.DEPTH"):
        VGG(15)
    with pytest.raises(ValueError, match="MODEL.VGG.OUT_FEATURES.*'res5'"):
        VGG(16, out_features=["res5"])
    with pytest.raises(ValueError, match="FC_AS_CONV"):
        VGG(16, out_features=["fc7"])
    with pytest.raises(ValueError, match="MODEL.VGG.NORM"):
        VGG(16, norm="bn")


def test_blocks_past_the_deepest_output_are_not_built():
    model = VGG(16, base_width=4, out_features=["pool3"])
    assert len(model.features) == 17  # conv1_1 .. pool3 of torchvision's indices 0..16
    assert model.fc6 is None


def test_freeze_at_freezes_the_first_blocks():
    model = VGG(16, "BN", base_width=4, out_features=["pool5"], freeze_at=2)
    frozen = [all(not p.requires_grad for p in m.parameters()) for m in model.features if list(m.parameters())]
    assert frozen == [True] * 4 + [False] * 18  # block 1-2 convs; their BNs now hold only buffers
    assert type(model.features[1]).__name__ == "FrozenBatchNorm2d"


def narrow_torchvision_vgg11(width=4, fc=16):
    """torchvision's VGG (its forward: adaptive 7x7 average pool, flatten, classifier) at a narrow width."""
    cfg = [width, "M", 2 * width, "M", 4 * width, 4 * width, "M", 8 * width, 8 * width, "M", 8 * width, 8 * width, "M"]
    features = torchvision.models.vgg.make_layers(cfg)
    with torch.device("meta"):  # its full-size classifier is replaced below: skip allocating it
        model = torchvision.models.vgg.VGG(features, num_classes=10, init_weights=False)
    model.classifier = nn.Sequential(nn.Linear(8 * width * 49, fc), nn.ReLU(True), nn.Dropout(),
                                     nn.Linear(fc, fc), nn.ReLU(True), nn.Dropout(), nn.Linear(fc, 10))
    return model


def vgg11_torchvision_classifier_check(converter, flip):
    torch.manual_seed(0)
    theirs = narrow_torchvision_vgg11().eval()
    ours = VGG(11, base_width=4, fc_as_conv=True, fc_channels=16, out_features=["fc7"]).eval()
    converted = convert_weights(theirs.state_dict(), converter)
    assert sorted(k for k in converted if not k.startswith("backbone.features.")) == [
        "backbone.fc6.0.bias", "backbone.fc6.0.weight", "backbone.fc7.0.bias", "backbone.fc7.0.weight"]
    ours.load_state_dict({k[len("backbone."):]: v for k, v in converted.items()})
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        fc7 = ours(x.flip(1) if flip else x)["fc7"]
        expected = theirs.classifier[:5](torch.flatten(theirs.avgpool(theirs.features(x)), 1))
    assert fc7.shape == (2, 16, 1, 1)
    torch.testing.assert_close(fc7.flatten(1), expected, rtol=1e-4, atol=1e-5)


def test_torchvision_classifier_becomes_fc6_fc7_with_the_same_outputs():
    vgg11_torchvision_classifier_check("torchvision_vgg", flip=False)


def test_caffe_bgr_weights_take_rgb_input():
    """With conv1_1's input channels reversed, RGB input gives what the BGR weights give on BGR input."""
    vgg11_torchvision_classifier_check("torchvision_vgg_caffe_bgr", flip=True)


def vgg_model_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_list([
        "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.BACKBONE.NAME", "build_vgg_backbone",
        "MODEL.VGG.DEPTH", "11", "MODEL.VGG.BASE_WIDTH", "4", "MODEL.HEAD.IN_FEATURE", "pool5",
        "MODEL.HEAD.CHANNELS", "8", *opts])
    return cfg


def test_registered_and_built_from_the_config():
    assert BACKBONE_REGISTRY.get("build_vgg_backbone") is build_vgg_backbone
    cfg = vgg_model_cfg("MODEL.VGG.NORM", "BN", "MODEL.VGG.CEIL_MODE", "True", "MODEL.VGG.FIRST_PADDING", "100",
                        "MODEL.VGG.FC_AS_CONV", "True", "MODEL.VGG.FC_CHANNELS", "16",
                        "MODEL.VGG.OUT_FEATURES", "['pool4', 'fc7']")
    backbone = build_vgg_backbone(cfg)
    assert backbone.features[0].padding == (100, 100) and backbone.features[3].ceil_mode
    assert backbone.output_shape() == {"pool4": backbone._out_shapes["pool4"], "fc7": backbone._out_shapes["fc7"]}
    assert backbone.fc6[0].out_channels == 16


def test_a_torchvision_checkpoint_loads_unchanged_under_backbone(tmp_path):
    """torchvision's own make_layers (a narrow configuration) writes the checkpoint."""
    layers = torchvision.models.vgg.make_layers([4, "M", 8, "M", 16, 16, "M", 32, 32, "M", 32, 32, "M"], batch_norm=True)
    state = {f"features.{k}": v.normal_() if v.is_floating_point() else v for k, v in layers.state_dict().items()}
    path = str(tmp_path / "vgg11_bn_narrow.pth")
    torch.save(state, path)
    model = build_model(vgg_model_cfg("MODEL.VGG.NORM", "BN"))
    Checkpointer(model).load(path, checkpointables=[])
    loaded = model.state_dict()
    assert all(torch.equal(loaded[f"backbone.{k}"], v) for k, v in state.items())
