"""TorchvisionBackbone: torchvision classifiers as res2..res5 backbones (random weights, small models)."""
import copy
import io

import pytest
import torch
import torchvision
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from seg_engine.checkpoint import Checkpointer
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.modeling.backbone import Backbone, TorchvisionBackbone, build_torchvision_backbone
from seg_engine.modeling.registry import BACKBONE_REGISTRY

R50_WITHOUT_FC = 23_508_032  # torchvision resnet50's 25,557,032 minus fc (2048 * 1000 + 1000), as tests/modeling/test_resnet.py


def num_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def tiny_cfg(name: str, output_stride: int = 32):
    cfg = get_cfg()
    cfg.merge_from_list([
        "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.BACKBONE.NAME", "build_torchvision_backbone",
        "MODEL.TORCHVISION.NAME", name, "MODEL.TORCHVISION.OUTPUT_STRIDE", str(output_stride),
        "MODEL.TORCHVISION.OUT_FEATURES", "['res4', 'res5']", "MODEL.HEAD.CHANNELS", "8",
    ])
    return cfg


@pytest.fixture(scope="module")
def resnet18_pair():
    """A random torchvision resnet18 and a segmentation model whose backbone loaded it from a file."""
    torch.manual_seed(0)
    classifier = torchvision.models.resnet18(weights=None).eval()
    with torch.no_grad():  # randomized BN statistics, so the check also covers buffers
        for m in classifier.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    return classifier, build_model(tiny_cfg("resnet18"))


def test_registered_and_keys_are_torchvisions(resnet18_pair):
    classifier, model = resnet18_pair
    assert BACKBONE_REGISTRY.get("build_torchvision_backbone") is build_torchvision_backbone
    assert isinstance(model.backbone, TorchvisionBackbone) and isinstance(model.backbone, Backbone)
    ours = set(model.backbone.state_dict())
    theirs = {k for k in classifier.state_dict() if not k.startswith("fc.")}
    assert ours == theirs


def test_imagenet_checkpoint_loads_through_model_weights(resnet18_pair, tmp_path):
    classifier, model = resnet18_pair
    torch.save(classifier.state_dict(), tmp_path / "resnet18.pth")  # torchvision's file layout: a raw state dict
    Checkpointer(model).load(str(tmp_path / "resnet18.pth"))
    model.eval()
    x = torch.randn(1, 3, 65, 97)
    with torch.no_grad():
        ours = model.backbone(x)
        h = classifier.maxpool(classifier.relu(classifier.bn1(classifier.conv1(x))))
        res4 = classifier.layer3(classifier.layer2(classifier.layer1(h)))
        res5 = classifier.layer4(res4)
    assert torch.equal(ours["res4"], res4) and torch.equal(ours["res5"], res5)
    assert model.backbone.output_shape()["res5"].channels == 512


def test_segmentation_model_trains_and_predicts_with_it(resnet18_pair):
    _, model = resnet18_pair
    model.train()
    sample = {"image": torch.randint(0, 256, (3, 33, 49), dtype=torch.uint8),
              "sem_seg": torch.randint(0, 3, (33, 49)), "height": 33, "width": 49}
    losses = model([sample])
    sum(losses.values()).backward()
    assert model.backbone.get_submodule("layer1.0.conv1").weight.grad is not None
    model.eval()
    with torch.no_grad():
        assert model([sample])[0]["sem_seg"].shape == (3, 33, 49)


@pytest.mark.parametrize(
    "name, output_stride, channels, strides",
    [
        ("mobilenet_v3_small", 32, (16, 24, 48, 576), (4, 8, 16, 32)),
        ("mobilenet_v3_small", 16, (16, 24, 48, 576), (4, 8, 16, 16)),
        ("regnet_x_400mf", 32, (32, 64, 160, 400), (4, 8, 16, 32)),
        ("efficientnet_b0", 32, (24, 40, 112, 1280), (4, 8, 16, 32)),
    ],
)
def test_stage_channels_and_strides_measured(name, output_stride, channels, strides):
    backbone = TorchvisionBackbone(name, output_stride=output_stride)
    shapes = backbone.output_shape()
    assert list(shapes) == ["res2", "res3", "res4", "res5"]
    assert tuple(s.channels for s in shapes.values()) == channels
    assert tuple(s.stride for s in shapes.values()) == strides
    if (name, output_stride) != ("mobilenet_v3_small", 16):
        return  # one real forward per family would cost seconds on CPU; the shapes above are measured
    x = torch.randn(2, 3, 33, 49)
    for training in (True, False):
        backbone.train(training)
        with torch.no_grad():
            out = backbone(x)
        for f, y in out.items():
            size = lambda n: -(-n // shapes[f].stride)  # ceil: every stride-2 layer pads
            assert y.shape == (2, shapes[f].channels, size(33), size(49)), (name, f, training)


def test_dilated_resnet50_keeps_torchvisions_parameters():
    with torch.device("meta"):  # shapes only: no memory or init cost for the big net
        for output_stride, strides in ((8, (4, 8, 8, 8)), (16, (4, 8, 16, 16))):
            backbone = TorchvisionBackbone("resnet50", output_stride=output_stride)
            assert tuple(s.stride for s in backbone.output_shape().values()) == strides
            assert num_params(backbone) == R50_WITHOUT_FC
        assert backbone.output_shape()["res5"].channels == 2048
        convnext = TorchvisionBackbone("convnext_tiny", out_features=["res2", "res3"])
        assert {f: (s.channels, s.stride) for f, s in convnext.output_shape().items()} == {"res2": (96, 4), "res3": (192, 8)}
        # Only the stages up to the deepest requested one are traced.
        assert any(k.startswith("features.3.") for k in convnext.state_dict())
        assert not any(k.startswith("features.4.") for k in convnext.state_dict())


def test_pickles_and_copies(resnet18_pair):
    _, model = resnet18_pair
    buffer = io.BytesIO()
    torch.save(model.backbone, buffer)  # whole-module pickling (the traced code travels as source)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    twin = copy.deepcopy(model.backbone)
    x = torch.randn(1, 3, 33, 49)
    model.backbone.eval(), restored.eval(), twin.eval()
    with torch.no_grad():
        expected = model.backbone(x)["res5"]
        assert torch.equal(restored(x)["res5"], expected) and torch.equal(twin(x)["res5"], expected)


def test_explicit_return_nodes():
    backbone = TorchvisionBackbone("mobilenet_v3_small", out_features=["res3", "res4"], return_nodes=["features.2", "features.6"])
    shapes = backbone.output_shape()
    assert (shapes["res3"].channels, shapes["res3"].stride) == (24, 8)
    assert (shapes["res4"].channels, shapes["res4"].stride) == (40, 16)


def test_freeze_at_freezes_through_the_named_stage():
    backbone = TorchvisionBackbone("resnet18", freeze_at=2)
    assert isinstance(backbone.bn1, FrozenBatchNorm2d) and isinstance(backbone.get_submodule("layer1.0.bn1"), FrozenBatchNorm2d)
    assert not any(p.requires_grad for p in backbone.layer1.parameters()) and not backbone.conv1.weight.requires_grad
    assert all(p.requires_grad for p in backbone.layer2.parameters())
    assert isinstance(backbone.get_submodule("layer2.0.bn1"), nn.BatchNorm2d)
    backbone.train()
    out = backbone(torch.randn(2, 3, 17, 17))  # the traced code reads the replaced modules
    assert out["res2"].shape == (2, 64, 5, 5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="resnet_51"), "MODEL.TORCHVISION.NAME 'resnet_51'"),
        (dict(name="resnet18", output_stride=8), "OUTPUT_STRIDE 8 is not supported by 'resnet18'"),
        (dict(name="mobilenet_v3_small", output_stride=8), "OUTPUT_STRIDE 8 is not supported"),
        (dict(name="efficientnet_b0", output_stride=16), "OUTPUT_STRIDE 16 is not supported"),
        (dict(name="resnet18", output_stride=12), "OUTPUT_STRIDE must be one of"),
        (dict(name="resnet18", out_features=["res6"]), "OUT_FEATURES must be a non-empty subset"),
        (dict(name="resnet18", out_features=["res5"], return_nodes=["layer3", "layer4"]), "RETURN_NODES must name one node"),
    ],
)
def test_bad_configuration_names_the_key(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TorchvisionBackbone(**kwargs)
