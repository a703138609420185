"""torchvision's ImageNet VGGs with fc6/fc7 as convolutions (the FCN papers' "convolutionalised" VGG), and a Caffe
VGG in torchvision's layout. torchvision's ResNets need no layout: the Checkpointer puts their keys under
``backbone.`` as they are."""
from typing import Any, Dict

from ..layout import WeightLayout, register_layout
from ..vocabulary import prefix

RULES = prefix("features", "backbone.features") + prefix(r"classifier\.0", "backbone.fc6.0") + prefix(
    r"classifier\.3", "backbone.fc7.0")


def fc_as_conv(state: Dict[str, Any]) -> Dict[str, Any]:
    """fc6 (4096 x 25088) and fc7 (4096 x 4096) reshaped into 7x7 and 1x1 convolutions."""
    out = dict(state)
    for name, kernel in (("fc6", 7), ("fc7", 1)):
        key = f"backbone.{name}.0.weight"
        if key in out:
            out[key] = out[key].reshape(out[key].shape[0], -1, kernel, kernel)
    return out


def fc_as_conv_rgb(state: Dict[str, Any]) -> Dict[str, Any]:
    """As :func:`fc_as_conv`, and conv1_1's input channels reversed, so the Caffe (BGR) net takes RGB."""
    out = fc_as_conv(state)
    out["backbone.features.0.weight"] = out["backbone.features.0.weight"].flip(1)
    return out


register_layout(WeightLayout(
    name="torchvision_vgg",
    source="torchvision's ImageNet VGGs (vgg16-397923af.pth, vgg16_bn, ...) for MODEL.VGG.FC_AS_CONV: classifier.0/.3 "
           "become fc6 (7x7) and fc7 (1x1) convolutions, the 1000-class layer is dropped",
    rules=RULES,
    drop=[r"classifier\.6\."],
    finish=fc_as_conv,
))
register_layout(WeightLayout(
    name="torchvision_vgg_caffe_bgr",
    source="a Caffe VGG (BGR, 0-255 minus the mean) in torchvision's layout, e.g. wkentaro/pytorch-fcn's "
           "vgg16_from_caffe.pth: as torchvision_vgg with conv1_1 made to take RGB; use MODEL.PIXEL_MEAN "
           "(122.67892, 116.66877, 104.00699) and MODEL.PIXEL_STD (1, 1, 1)",
    rules=RULES,
    drop=[r"classifier\.6\."],
    finish=fc_as_conv_rgb,
))
