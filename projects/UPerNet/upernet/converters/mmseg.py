"""mmsegmentation 1.x's trained UPerNets (ResNetV1c, Swin and ConvNeXt through mmpretrain) and its
ImageNet Swin and ConvNeXt files, to this toolbox's EncoderDecoder + UPerHead + FCNHead.

Their keys: ``backbone.*`` (ResNetV1c ``stem``/``layerN``; Swin ``patch_embed.projection``,
``stages.i.blocks.j.attn.w_msa``, ``ffn.layers``; mmpretrain ConvNeXt ``depthwise_conv``,
``pointwise_conv1/2``), ``decode_head.{psp_modules, bottleneck, lateral_convs, fpn_convs, fpn_bottleneck,
conv_seg}`` (ConvModule ``conv``/``bn``) and ``auxiliary_head.{convs.0, conv_seg}``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.imagenet_backbones import mmseg_resnet_v1c

from .layouts import (CONVNEXT_MMPRETRAIN, HEAD_MMSEG, split_by_prefix, swin_mmseg, with_prefix)


def mmseg_backbone(backbone: Dict[str, Any], drop=()) -> Dict[str, Any]:
    """ResNetV1c, Swin or mmpretrain's ConvNeXt, told apart by their keys."""
    if any(k.startswith("backbone.stem.") for k in backbone):
        return mmseg_resnet_v1c(backbone)
    if any(k.startswith("backbone.patch_embed.projection.") for k in backbone):
        return swin_mmseg(backbone, drop)
    if any(".depthwise_conv." in k for k in backbone):
        return rename_keys(backbone, CONVNEXT_MMPRETRAIN, drop)
    raise KeyError("the backbone is none of mmsegmentation's ResNetV1c, SwinTransformer or mmpretrain ConvNeXt "
                   f"(first key: {next(iter(backbone), 'none')})")


@WEIGHT_CONVERTERS.register()
def mmseg_upernet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the ``*_mmseg`` recipes: ResNetV1c (STEM_WIDTH 32), Swin or ConvNeXt backbones; heads by HEAD_MMSEG."""
    backbone, heads = split_by_prefix(state_dict)
    return {**mmseg_backbone(backbone), **rename_keys(heads, HEAD_MMSEG)}


@WEIGHT_CONVERTERS.register()
def mmseg_swin_imagenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's ImageNet Swin (``pretrain/swin/swin_tiny_patch4_window7_224_20220317-1cdeb081.pth``
    and its S/B siblings, the authors' files through swin2mmseg) for the Swin recipes, without the
    classifier's final norm; the output norms (norm0..3) keep their initialisation, as there."""
    return swin_mmseg(with_prefix(state_dict), drop=[r"backbone\.norm\.", r"backbone\.head\."])


@WEIGHT_CONVERTERS.register()
def mmpretrain_convnext_imagenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmpretrain's ImageNet ConvNeXt (``convnext-tiny_3rdparty_32xb128-noema_in1k_20220301-795e9634.pth``, the
    mmsegmentation recipes' start) without its classifier (``head``); its ``backbone.norm3`` (the classifier's
    norm of stage 3) loads into the segmentation backbone's norm3, as mmsegmentation loads it."""
    return rename_keys(with_prefix(state_dict), CONVNEXT_MMPRETRAIN, [r"head\.", r"backbone\.head\."])
