"""TimmBackbone: the optional timm extra (tests that build a model skip without timm)."""
import importlib.util

import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import Backbone, TimmBackbone, build_timm_backbone
from seg_engine.modeling.backbone.timm import nominal_strides
from seg_engine.modeling.registry import BACKBONE_REGISTRY

HAS_TIMM = importlib.util.find_spec("timm") is not None
needs_timm = pytest.mark.skipif(not HAS_TIMM, reason="timm is not installed (pip install 'seg_engine[timm]')")


def test_registered_without_timm():
    assert BACKBONE_REGISTRY.get("build_timm_backbone") is build_timm_backbone


def test_nominal_strides_undo_dilation():
    assert nominal_strides([2, 4, 8, 16, 32]) == [2, 4, 8, 16, 32]
    assert nominal_strides([2, 4, 8, 8, 8]) == [2, 4, 8, 16, 32]
    assert nominal_strides([4, 8, 16, 16]) == [4, 8, 16, 32]


@pytest.mark.skipif(HAS_TIMM, reason="checks the message given when timm is missing")
def test_without_timm_the_error_names_the_extra():
    with pytest.raises(ImportError, match=r"seg_engine\[timm\]"):
        TimmBackbone("resnet18")


@needs_timm
@pytest.mark.parametrize(
    "name, output_stride, out_features, channels, strides",
    [
        ("resnet18", 8, ["res2", "res3", "res4", "res5"], (64, 128, 256, 512), (4, 8, 8, 8)),
        ("mobilenetv3_small_050", 32, ["res1", "res3", "res5"], (16, 16, 288), (2, 8, 32)),
        ("convnext_atto", 32, ["res3", "res5"], (80, 320), (8, 32)),
    ],
)
def test_features_named_by_stride(name, output_stride, out_features, channels, strides):
    torch.manual_seed(0)
    backbone = TimmBackbone(name, out_features=out_features, output_stride=output_stride)
    assert isinstance(backbone, Backbone)
    shapes = backbone.output_shape()
    assert list(shapes) == out_features
    assert tuple(s.channels for s in shapes.values()) == channels
    assert tuple(s.stride for s in shapes.values()) == strides
    backbone.eval()
    with torch.no_grad():
        out = backbone(torch.randn(1, 3, 65, 97))
    for f, y in out.items():
        assert y.shape[:2] == (1, shapes[f].channels)
        stride = shapes[f].stride  # padded convs round up, ConvNeXt's patchify stem rounds down
        assert 97 // stride <= y.shape[-1] <= -(-97 // stride) and 65 // stride <= y.shape[-2] <= -(-65 // stride)


@needs_timm
def test_pretrained_file_loads_a_timm_classifier_checkpoint(tmp_path):
    import timm

    torch.manual_seed(0)
    classifier = timm.create_model("resnet18", pretrained=False)
    torch.save(classifier.state_dict(), tmp_path / "resnet18.pth")
    backbone = TimmBackbone("resnet18", out_features=["res5"], pretrained_file=str(tmp_path / "resnet18.pth"))
    assert torch.equal(backbone.body.layer4[1].conv2.weight, classifier.layer4[1].conv2.weight)


@needs_timm
def test_bad_configuration_names_the_key():
    with pytest.raises(ValueError, match="MODEL.TIMM.NAME 'resnet_51'"):
        TimmBackbone("resnet_51")
    with pytest.raises(ValueError, match=r"MODEL.TIMM.OUT_FEATURES \['res6'\]"):
        TimmBackbone("resnet18", out_features=["res6"])
    with pytest.raises(ValueError, match="MODEL.TIMM.OUTPUT_STRIDE must be one of"):
        TimmBackbone("resnet18", output_stride=4)
    cfg = get_cfg()
    cfg.MODEL.TIMM.NAME, cfg.MODEL.BACKBONE.FREEZE_AT = "resnet18", 2
    with pytest.raises(ValueError, match="MODEL.BACKBONE.FREEZE_AT 2"):
        build_timm_backbone(cfg)
