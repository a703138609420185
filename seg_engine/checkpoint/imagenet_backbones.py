"""Converters for ImageNet ResNets published in the segmentation authors' layouts, to start training.

torchvision's ResNets need none (the Checkpointer puts them under ``backbone.``). Each converter
drops the ImageNet classifier; use one with ``MODEL.WEIGHTS_FORMAT`` and ``MODEL.WEIGHTS``.
"""
from __future__ import annotations

from typing import Any, Dict

from .converters import WEIGHT_CONVERTERS, rename_keys

CLASSIFIER = [r"fc\."]
LAYERS = [(r"(layer[1-4])\.", r"backbone.\1.")]


@WEIGHT_CONVERTERS.register()
def semseg_resnet_imagenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """hszhao/semseg's ``initmodel/resnet50_v2.pth``: the deep stem is already conv1/bn1..conv3/bn3."""
    return rename_keys(state_dict, [(r"(conv[123]|bn[123])\.", r"backbone.\1.")] + LAYERS, CLASSIFIER)


# mmsegmentation's stem = Sequential(conv, bn, relu, conv, bn, relu, conv, bn, relu): children 0/1, 3/4, 6/7.
_MMSEG_STEM = [(rf"stem\.{i}\.", f"backbone.{name}.") for i, name in
               ((0, "conv1"), (1, "bn1"), (3, "conv2"), (4, "bn2"), (6, "conv3"), (7, "bn3"))]


@WEIGHT_CONVERTERS.register()
def mmseg_resnet_v1c(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's ``open-mmlab://resnet50_v1c`` (``stem.0``..``stem.7``), for MODEL.RESNETS.STEM_WIDTH 32.

    A leading ``backbone.`` (checkpoints of mmpretrain classifiers) is accepted.
    """
    state = {k[len("backbone."):] if k.startswith("backbone.") else k: v for k, v in state_dict.items()}
    return rename_keys(state, _MMSEG_STEM + LAYERS, CLASSIFIER + [r"head\."])


# PyTorch-Encoding's deep stem is conv1 = Sequential(conv, BN, ReLU, conv, BN, ReLU, conv), then bn1.
_ENCODING_DEEP_STEM = [(rf"conv1\.{i}\.", f"backbone.{name}.") for i, name in
                       ((0, "conv1"), (1, "bn1"), (3, "conv2"), (4, "bn2"), (6, "conv3"))] + [(r"bn1\.", "backbone.bn3.")]


@WEIGHT_CONVERTERS.register()
def pytorch_encoding_resnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """PyTorch-Encoding's resnet50s/101s (deep stem) and FastFCN's resnet50/101 (7x7 stem)."""
    deep = any(k.startswith("conv1.0.") for k in state_dict)
    stem = _ENCODING_DEEP_STEM if deep else [(r"(conv1|bn1)\.", r"backbone.\1.")]
    return rename_keys(state_dict, stem + LAYERS, CLASSIFIER)


def _torchvision_vgg(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """features.N -> backbone.features.N; classifier.0/.3 -> backbone.fc6/fc7 as 7x7 and 1x1 convs."""
    renamed = rename_keys(state_dict, [(r"features\.", "backbone.features."), (r"classifier\.0\.", "backbone.fc6.0."),
                                       (r"classifier\.3\.", "backbone.fc7.0.")], [r"classifier\.6\."])
    for name, kernel in (("fc6", 7), ("fc7", 1)):
        key = f"backbone.{name}.0.weight"
        if key in renamed:
            weight = renamed[key]
            renamed[key] = weight.reshape(weight.shape[0], -1, kernel, kernel)
    return renamed


@WEIGHT_CONVERTERS.register()
def torchvision_vgg(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """torchvision's ImageNet VGGs (``vgg16-397923af.pth``, ``vgg16_bn``, ...) for MODEL.VGG.FC_AS_CONV.

    The classifier's first two Linear layers become fc6 (4096 x 512 x 7 x 7) and fc7 (4096 x 4096 x 1 x 1),
    as in the FCN papers' "convolutionalised" VGG; the 1000-class layer is dropped. Without fc6/fc7 in
    the model no converter is needed: the features load under ``backbone.`` as they are.
    """
    return _torchvision_vgg(state_dict)


@WEIGHT_CONVERTERS.register()
def torchvision_vgg_caffe_bgr(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """A Caffe VGG (BGR input, 0-255 minus the mean) in torchvision's layout, such as wkentaro/pytorch-fcn's
    ``vgg16_from_caffe.pth`` (VGG_ILSVRC_16_layers): as ``torchvision_vgg``, with conv1_1's input
    channels reversed so the model takes RGB; use MODEL.PIXEL_MEAN the Caffe mean in RGB order
    (122.67892, 116.66877, 104.00699) and MODEL.PIXEL_STD (1, 1, 1)."""
    renamed = _torchvision_vgg(state_dict)
    renamed["backbone.features.0.weight"] = renamed["backbone.features.0.weight"].flip(1)
    return renamed
