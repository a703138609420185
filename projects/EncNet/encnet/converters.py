"""Weight converters from the authors' checkpoints to this project's keys.

``pytorch_encoding_encnet``: zhanghang1989/PyTorch-Encoding's EncNet (e.g. encnet_resnet50s_ade),
deep (ResNet-50s) or 7x7 stem. ``fastfcn_encnet``: wuhuikai/FastFCN's EncNet (+JPU), whose backbone
keeps an unused ImageNet ``fc`` (dropped). Their ImageNet backbones load with the core converter
``pytorch_encoding_resnet`` (seg_engine.checkpoint.imagenet_backbones). Use with ``MODEL.WEIGHTS_FORMAT`` or ``tools/convert_weights.py``.
"""
from __future__ import annotations

from typing import Any, Dict, List

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.converters import Rule

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
