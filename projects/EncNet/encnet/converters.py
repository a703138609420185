"""Weight converters from the authors' checkpoints to this project's keys.

``pytorch_encoding_encnet``: zhanghang1989/PyTorch-Encoding's EncNet (e.g. encnet_resnet50s_ade),
deep (ResNet-50s) or 7x7 stem. ``fastfcn_encnet``: wuhuikai/FastFCN's EncNet (+JPU), whose backbone
keeps an unused ImageNet ``fc`` (dropped). ``mmseg_encnet`` and ``mmseg_fastfcn``: mmsegmentation 1.x's
EncNet-D8 and FastFCN (JPU) EncNet. Their ImageNet backbones load with the core converter
``pytorch_encoding_resnet`` (seg_engine.checkpoint.imagenet_backbones). Use with ``MODEL.WEIGHTS_FORMAT`` or ``tools/convert_weights.py``.
"""
from __future__ import annotations

from typing import Any, Dict, List

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.imagenet_backbones import mmseg_resnet_v1c
from seg_engine.checkpoint.mmseg_jpu import convert_mmseg_jpu

# The deep stem is one Sequential (conv, BN, ReLU, conv, BN, ReLU, conv) plus bn1 after it.
DEEP_STEM_RULES: List[Rule] = [
    (r"pretrained\.conv1\.0\.(.+)", r"backbone.conv1.\1"),
    (r"pretrained\.conv1\.1\.(.+)", r"backbone.bn1.\1"),
    (r"pretrained\.conv1\.3\.(.+)", r"backbone.conv2.\1"),
    (r"pretrained\.conv1\.4\.(.+)", r"backbone.bn2.\1"),
    (r"pretrained\.conv1\.6\.(.+)", r"backbone.conv3.\1"),
    (r"pretrained\.bn1\.(.+)", r"backbone.bn3.\1"),
]
BASIC_STEM_RULES: List[Rule] = [(r"pretrained\.(conv1|bn1)\.(.+)", r"backbone.\1.\2")]

BACKBONE_RULES: List[Rule] = [(r"pretrained\.(layer[1-4]\..+)", r"backbone.\1")]

HEAD_RULES: List[Rule] = [
    (r"head\.conv5\.([01])\.(.+)", r"decode_head.bottleneck.\1.\2"),
    (r"head\.connect\.([01])\.([01])\.(.+)", r"decode_head.lateral_convs.\1.\2.\3"),
    (r"head\.fusion\.([01])\.(.+)", r"decode_head.fusion.\1.\2"),
    (r"head\.encmodule\.encoding\.([01])\.(.+)", r"decode_head.enc_module.projection.\1.\2"),
    (r"head\.encmodule\.encoding\.3\.(codewords|scale)", r"decode_head.enc_module.encoding.\1"),
    (r"head\.encmodule\.encoding\.4\.(.+)", r"decode_head.enc_module.code_norm.\1"),
    (r"head\.encmodule\.fc\.0\.(.+)", r"decode_head.enc_module.fc.\1"),
    (r"head\.encmodule\.selayer\.(.+)", r"decode_head.se_classifier.\1"),
    (r"head\.conv6\.1\.(.+)", r"decode_head.classifier.\1"),
    (r"auxlayer\.conv5\.([01])\.(.+)", r"aux_head.convs.0.\1.\2"),
    (r"auxlayer\.conv5\.4\.(.+)", r"aux_head.classifier.\1"),
]

# FastFCN's JPU: conv3/conv4/conv5 read c2/c3/c4 (our res3/res4/res5); dilationN is
# Sequential(SeparableConv2d(conv1, bn, pointwise), BN, ReLU).
JPU_RULES: List[Rule] = [
    (r"jpu\.conv3\.(.+)", r"neck.convs.0.\1"),
    (r"jpu\.conv4\.(.+)", r"neck.convs.1.\1"),
    (r"jpu\.conv5\.(.+)", r"neck.convs.2.\1"),
    (r"jpu\.dilation([1-4])\.0\.conv1\.(.+)", r"neck.branches.<\1>.conv_dw.\2"),
    (r"jpu\.dilation([1-4])\.0\.bn\.(.+)", r"neck.branches.<\1>.bn_dw.\2"),
    (r"jpu\.dilation([1-4])\.0\.pointwise\.(.+)", r"neck.branches.<\1>.conv_pw.\2"),
    (r"jpu\.dilation([1-4])\.1\.(.+)", r"neck.branches.<\1>.bn_pw.\2"),
]


def _stem_rules(state_dict: Dict[str, Any]) -> List[Rule]:
    deep = any(key.startswith("pretrained.conv1.0.") for key in state_dict)
    return DEEP_STEM_RULES if deep else BASIC_STEM_RULES


@WEIGHT_CONVERTERS.register()
def pytorch_encoding_encnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """PyTorch-Encoding's EncNet (``pretrained.*``, ``head.*``, ``auxlayer.*``) to this EncNet."""
    return rename_keys(state_dict, _stem_rules(state_dict) + BACKBONE_RULES + HEAD_RULES)


@WEIGHT_CONVERTERS.register()
def fastfcn_encnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """FastFCN's EncNet (+ ``jpu.*`` with JPU) to this EncNet; the backbone's ImageNet fc is dropped."""
    rules = _stem_rules(state_dict) + BACKBONE_RULES + JPU_RULES + HEAD_RULES
    return rename_keys(state_dict, rules, drop=[r"pretrained\.fc\..+"])


# mmsegmentation (1.x) EncHead, FCN auxiliary head and JPU neck. ConvModule children are conv/bn.
MMSEG_HEAD_RULES: List[Rule] = [
    (r"decode_head\.bottleneck\.conv\.", "decode_head.bottleneck.0."),
    (r"decode_head\.bottleneck\.bn\.", "decode_head.bottleneck.1."),
    (r"decode_head\.lateral_convs\.(\d+)\.conv\.", r"decode_head.lateral_convs.\1.0."),
    (r"decode_head\.lateral_convs\.(\d+)\.bn\.", r"decode_head.lateral_convs.\1.1."),
    (r"decode_head\.fusion\.conv\.", "decode_head.fusion.0."),
    (r"decode_head\.fusion\.bn\.", "decode_head.fusion.1."),
    (r"decode_head\.enc_module\.encoding_project\.conv\.", "decode_head.enc_module.projection.0."),
    (r"decode_head\.enc_module\.encoding_project\.bn\.", "decode_head.enc_module.projection.1."),
    (r"decode_head\.enc_module\.encoding\.0\.(codewords|scale)$", r"decode_head.enc_module.encoding.\1"),
    (r"decode_head\.enc_module\.encoding\.1\.", "decode_head.enc_module.code_norm."),
    (r"decode_head\.enc_module\.fc\.0\.", "decode_head.enc_module.fc."),
    (r"decode_head\.se_layer\.", "decode_head.se_classifier."),
    (r"decode_head\.conv_seg\.", "decode_head.classifier."),
    (r"auxiliary_head\.convs\.0\.conv\.", "aux_head.convs.0.0."),
    (r"auxiliary_head\.convs\.0\.bn\.", "aux_head.convs.0.1."),
    (r"auxiliary_head\.conv_seg\.", "aux_head.classifier."),
]
def _mmseg_encnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    backbone = {k: v for k, v in state_dict.items() if k.startswith("backbone.")}
    neck = {k: v for k, v in state_dict.items() if k.startswith("neck.")}
    heads = {k: v for k, v in state_dict.items() if not k.startswith(("backbone.", "neck."))}
    return {**mmseg_resnet_v1c(backbone), **convert_mmseg_jpu(neck), **rename_keys(heads, MMSEG_HEAD_RULES)}


@WEIGHT_CONVERTERS.register()
def mmseg_encnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's EncNet R50/R101-D8 (``_base_/models/encnet_r50-d8.py``): for MODEL.RESNETS
    STEM_WIDTH 32, FIRST_BLOCK_DILATION half, ALIGN_CORNERS False, ENCNET.DROPOUT_2D True."""
    if any(k.startswith("neck.") for k in state_dict):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_encnet: this checkpoint has a JPU neck; use mmseg_fastfcn")
    return _mmseg_encnet(state_dict)


@WEIGHT_CONVERTERS.register()
def mmseg_fastfcn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's FastFCN with the EncHead (``fastfcn_r50-d32_jpu_enc``): as mmseg_encnet plus the
    JPU, for ENCNET.USE_JPU True and ENCNET.BOTTLENECK_KERNEL 3 (mmseg keeps the 3x3 head conv).

    Its PSPHead variant loads into PSPNet with ``mmseg_fastfcn_psp`` (projects/PSPNet), its ASPPHead
    variant into DeepLabV3 with ``mmseg_fastfcn_aspp`` (projects/DeepLab).
    """
    if any(k.startswith("decode_head.psp_modules.") for k in state_dict):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn: this checkpoint has a PSP head on the JPU; "
                       "use mmseg_fastfcn_psp (projects/PSPNet)")
    if any(k.startswith("decode_head.aspp_modules.") for k in state_dict):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn: this checkpoint has an ASPP head on the JPU; "
                       "use mmseg_fastfcn_aspp (projects/DeepLab)")
    if not any(k.startswith("neck.") for k in state_dict):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn: this checkpoint has no JPU neck; use mmseg_encnet")
    return _mmseg_encnet(state_dict)
