"""zhanghang1989/PyTorch-Encoding's trained EncNet checkpoints (e.g. ``encnet_resnet50s_ade``).

Their keys: the ImageNet ResNet under ``pretrained.`` (the core's ``pytorch_encoding_resnet``: a deep stem
``conv1.{0,1,3,4,6}`` + ``bn1``, or a 7x7 ``conv1``/``bn1``), the EncHead ``head.conv5.{0,1}`` (the bottleneck conv and
BN), ``head.connect.i.{0,1}`` and ``head.fusion.{0,1}`` (the lateral branch), ``head.encmodule.encoding`` =
Sequential(conv, BN, ReLU, Encoding, BN1d, ...) (``.0``/``.1`` the projection, ``.3.codewords``/``.3.scale``,
``.4`` the codes' norm), ``head.encmodule.fc.0``, ``head.encmodule.selayer`` (the SE-loss classifier),
``head.conv6.1`` (the classifier) and the FCN auxiliary head ``auxlayer.conv5``.
"""
from typing import Any, Dict, List

from seg_engine.checkpoint import LAYOUTS, WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import prefix, sequential_fcn_head

HEAD = (prefix(r"head\.conv5\.([01])", r"decode_head.bottleneck.\1")
        + prefix(r"head\.connect\.([01])\.([01])", r"decode_head.lateral_convs.\1.\2")
        + prefix(r"head\.fusion\.([01])", r"decode_head.fusion.\1")
        + prefix(r"head\.encmodule\.encoding\.([01])", r"decode_head.enc_module.projection.\1")
        + [(r"head\.encmodule\.encoding\.3\.(codewords|scale)", r"decode_head.enc_module.encoding.\1")]
        + prefix(r"head\.encmodule\.encoding\.4", "decode_head.enc_module.code_norm")
        + prefix(r"head\.encmodule\.fc\.0", "decode_head.enc_module.fc")
        + prefix(r"head\.encmodule\.selayer", "decode_head.se_classifier")
        + prefix(r"head\.conv6\.1", "decode_head.classifier")
        + sequential_fcn_head(r"auxlayer\.conv5", "aux_head"))


def under(theirs: str, rules: List[Rule]) -> List[Rule]:
    """``rules`` of a sub-network applied to its keys under ``theirs`` (the patterns must not start with ``^``)."""
    return [(rf"{theirs}\.{pattern}", replacement) for pattern, replacement in rules]


def backbone_rules(state: Dict[str, Any]) -> List[Rule]:
    """The core's ``pytorch_encoding_resnet`` rules (a deep or a 7x7 stem, read from the keys) under ``pretrained.``."""
    resnet = LAYOUTS["pytorch_encoding_resnet"]
    inner = {k[len("pretrained."):]: v for k, v in state.items() if k.startswith("pretrained.")}
    return under("pretrained", resnet.rules(inner) if callable(resnet.rules) else list(resnet.rules))


register_layout(WeightLayout(
    name="pytorch_encoding_encnet",
    source="PyTorch-Encoding's trained EncNet checkpoints from its model store (encnet_resnet50s_ade-07ac287c, also "
           "_pcontext and resnet101s; deep or 7x7 stem)",
    rules=lambda state: backbone_rules(state) + HEAD,
    recipe="seg_engine://EncNet/Base-EncNet.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 150),
    key_table="projects/EncNet/tests/data/pytorch_encoding_encnet_r50s_ade_keys.txt",
    examples={"backbone.bn3.weight": "pretrained.bn1.weight",
              "decode_head.enc_module.encoding.codewords": "head.encmodule.encoding.3.codewords",
              "decode_head.enc_module.code_norm.weight": "head.encmodule.encoding.4.weight"},
))
