"""mmsegmentation's ImageNet ResNetV1c (``open-mmlab://resnet50_v1c``) and its JPU neck (FastFCN), the layouts of
sub-networks that the projects' mmsegmentation converters reuse.

mmsegmentation concatenates the JPU's input maps shallowest first, FastFCN (and ``JPU`` here) deepest first, so
besides the renaming the branches' depthwise conv, its norm and the pointwise conv's input channels are reordered
block by block, which gives the same function.
"""
from typing import Any, Dict

import torch

from ..layout import WeightLayout, register_layout
from ..vocabulary import children, conv_module, prefix, separable_conv_module

# mmsegmentation's stem = Sequential(conv, bn, relu, conv, bn, relu, conv, bn, relu): children 0/1, 3/4, 6/7.
STEM = {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3", "7": "bn3"}


def _without_backbone_prefix(state: Dict[str, Any]) -> Dict[str, Any]:
    """mmpretrain's classifiers (and mmsegmentation's checkpoints) keep the ResNet under ``backbone.``."""
    return {k[len("backbone."):] if k.startswith("backbone.") else k: v for k, v in state.items()}


register_layout(WeightLayout(
    name="mmseg_resnet_v1c",
    source="mmsegmentation's ImageNet ResNetV1c (open-mmlab://resnet50_v1c, resnet101_v1c: deep stem stem.0..stem.7) "
           "for MODEL.RESNETS.STEM_WIDTH 32; a leading backbone. is accepted; the classifier is dropped",
    rules=children("stem", "backbone", STEM) + prefix(r"(layer[1-4])", r"backbone.\1"),
    drop=[r"fc\.", r"head\."],
    prepare=_without_backbone_prefix,
))


def reverse_jpu_concat(state: Dict[str, Any]) -> Dict[str, Any]:
    """Reorder the channel blocks of converted ``neck.branches.*`` weights to the deepest-first concat."""
    num_inputs = len({k.split(".")[2] for k in state if k.startswith("neck.convs.")})
    out = dict(state)
    for key, value in state.items():
        if not key.startswith("neck.branches.") or value.ndim == 0:
            continue
        dim = 1 if ".conv_pw." in key else 0 if (".conv_dw." in key or ".bn_dw." in key) else None
        if dim is not None:
            out[key] = torch.cat(torch.chunk(value, num_inputs, dim=dim)[::-1], dim=dim)
    return out


register_layout(WeightLayout(
    name="mmseg_jpu",
    source="the neck.* keys of mmsegmentation's FastFCN checkpoints (JPU: conv_layers, dilation_layers), reused by "
           "the projects' FastFCN converters",
    rules=conv_module(r"neck\.conv_layers\.(\d+)\.0", r"neck.convs.\1")
    + separable_conv_module(r"neck\.dilation_layers\.(\d+)\.0", r"neck.branches.\1"),
    finish=reverse_jpu_concat,
))
