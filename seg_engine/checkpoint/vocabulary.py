"""The rename rules that the published layouts share, written once: how a building block of another toolbox is
named, mapped to the block that builds the same thing here. A layout's rules are composed from these."""
from __future__ import annotations

import re
from typing import List, Mapping

from .converters import Rule


def prefix(theirs: str, ours: str) -> List[Rule]:
    """Keys under ``theirs`` (a regex, without the trailing dot) moved under ``ours``."""
    return [(rf"{theirs}\.", f"{ours}.")]


def children(theirs: str, ours: str, names: Mapping[str, str]) -> List[Rule]:
    """Children of ``theirs`` renamed child by child (``names``: their child -> ours), e.g. a Sequential whose
    ReLUs and dropouts hold no keys: ``children("cls", "decode_head", {"0": "bottleneck.0", "4": "classifier"})``."""
    return [(rf"{theirs}\.{re.escape(child)}\.", f"{ours}.{mine}.") for child, mine in names.items()]


def conv_module(theirs: str, ours: str) -> List[Rule]:
    """mmcv's ConvModule (``.conv``, ``.bn``/``.gn``) -> our ConvNormAct (children 0 and 1)."""
    return children(theirs, ours, {"conv": "0", "bn": "1", "gn": "1"})


def separable_conv_module(theirs: str, ours: str) -> List[Rule]:
    """mmcv's DepthwiseSeparableConvModule -> our SeparableConv2d (``conv_dw``, ``bn_dw``, ``conv_pw``, ``bn_pw``)."""
    return children(theirs, ours, {"depthwise_conv.conv": "conv_dw", "depthwise_conv.bn": "bn_dw",
                                   "pointwise_conv.conv": "conv_pw", "pointwise_conv.bn": "bn_pw"})


def fcn_head(theirs: str, ours: str) -> List[Rule]:
    """mmsegmentation's FCNHead (``convs.i`` ConvModules, ``conv_seg``) -> our FCNHead (``convs.i``, ``classifier``)."""
    return conv_module(rf"{theirs}\.convs\.(\d+)", rf"{ours}.convs.\1") + prefix(rf"{theirs}\.conv_seg", f"{ours}.classifier")


def sequential_fcn_head(theirs: str, ours: str) -> List[Rule]:
    """An FCN head written as one Sequential(conv, norm, ReLU, Dropout, 1x1 conv): torchvision's ``FCNHead`` (its
    ``classifier``/``aux_classifier``), PyTorch-Encoding's (``auxlayer.conv5``) and hszhao/semseg's ``aux`` -> our
    FCNHead of one conv (``convs.0.0``, ``convs.0.1``, ``classifier``)."""
    return children(theirs, ours, {"0": "convs.0.0", "1": "convs.0.1", "4": "classifier"})


def torchvision_resnet(theirs: str, ours: str) -> List[Rule]:
    """torchvision's ResNet (``conv1``, ``bn1``, ``layer1``..``layer4``) under ``theirs`` ("" for keys at the top, e.g.
    DrSleep's RefineNets; ``encoder`` in segmentation_models_pytorch) -> our ResNet with the basic stem under ``ours``:
    the names below the prefix are the same; a key of anything else (an ``fc``) is left to the layout's other rules."""
    under = rf"{theirs}\." if theirs else ""
    return [(rf"{under}(conv1|bn1|layer[1-4])\.", rf"{ours}.\1.")]


def smp_segmentation_head(ours: str) -> List[Rule]:
    """segmentation_models_pytorch's ``segmentation_head`` = Sequential(conv, upsampling, activation) -> ``ours``'s
    ``classifier`` (the upsampling and activation hold no keys)."""
    return prefix(r"segmentation_head\.0", f"{ours}.classifier")


def conv_seg(theirs: str, ours: str) -> List[Rule]:
    """mmsegmentation's ``conv_seg`` classifier of a decode head -> our ``classifier``."""
    return prefix(rf"{theirs}\.conv_seg", f"{ours}.classifier")


def require(key_prefix: str, otherwise: str):
    """A ``prepare`` step that refuses a file without keys under ``key_prefix`` with ``otherwise`` as the reason
    (a FastFCN layout given a checkpoint without its JPU neck)."""

    def check(state):
        if not any(k.startswith(key_prefix) for k in state):
            raise KeyError(otherwise)
        return state

    return check


def strip_prefix(key_prefix: str = "backbone."):
    """A ``prepare`` step that removes a leading ``key_prefix``: an ImageNet layout then takes a classifier's file
    (keys at the top, or under ``backbone.`` as mmpretrain's) and the same keys under ``backbone.`` when the layout of
    a trained model reuses it."""

    def strip(state):
        return {k[len(key_prefix):] if k.startswith(key_prefix) else k: v for k, v in state.items()}

    return strip
