"""mmsegmentation 1.x's trained EncNet R50/R101-D8 (``encnet_r50-d8``) and FastFCN EncNet (``fastfcn_r50-d32_jpu_enc``).

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c); the EncHead's ConvModules
``decode_head.bottleneck``, ``decode_head.lateral_convs.i``, ``decode_head.fusion`` and
``decode_head.enc_module.encoding_project``, then ``decode_head.enc_module.encoding.0.{codewords,scale}`` (Encoding),
``.encoding.1`` (the codes' BN1d), ``decode_head.enc_module.fc.0``, ``decode_head.se_layer`` (the SE-loss classifier),
``decode_head.conv_seg``; the FCN auxiliary head ``auxiliary_head.*``; in FastFCN's, the JPU ``neck.*`` (the core's
``mmseg_jpu``, which reorders the branches' channel blocks to this JPU's concat order). mmsegmentation's FastFCN with a
PSPHead loads into PSPNet (``mmseg_fastfcn_psp``), with an ASPPHead into DeepLabV3 (``mmseg_fastfcn_aspp``).
"""
from typing import Any, Dict

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, conv_seg, fcn_head, prefix

RULES = (conv_module(r"decode_head\.bottleneck", "decode_head.bottleneck")
         + conv_module(r"decode_head\.lateral_convs\.(\d+)", r"decode_head.lateral_convs.\1")
         + conv_module(r"decode_head\.fusion", "decode_head.fusion")
         + conv_module(r"decode_head\.enc_module\.encoding_project", "decode_head.enc_module.projection")
         + [(r"decode_head\.enc_module\.encoding\.0\.(codewords|scale)$", r"decode_head.enc_module.encoding.\1")]
         + prefix(r"decode_head\.enc_module\.encoding\.1", "decode_head.enc_module.code_norm")
         + prefix(r"decode_head\.enc_module\.fc\.0", "decode_head.enc_module.fc")
         + prefix(r"decode_head\.se_layer", "decode_head.se_classifier")
         + conv_seg("decode_head", "decode_head")
         + fcn_head("auxiliary_head", "aux_head"))


def _encnet_without_neck(state: Dict[str, Any]) -> Dict[str, Any]:
    if any(k.startswith("neck.") for k in state):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_encnet: this checkpoint has a JPU neck; use mmseg_fastfcn")
    return state


def _enc_head_on_a_neck(state: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's other FastFCNs are named by the converter that loads them."""
    if any(k.startswith("decode_head.psp_modules.") for k in state):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn: this checkpoint has a PSP head on the JPU; "
                       "use mmseg_fastfcn_psp (projects/PSPNet)")
    if any(k.startswith("decode_head.aspp_modules.") for k in state):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn: this checkpoint has an ASPP head on the JPU; "
                       "use mmseg_fastfcn_aspp (projects/DeepLab)")
    if not any(k.startswith("neck.") for k in state):
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn: this checkpoint has no JPU neck; use mmseg_encnet")
    return state


register_layout(WeightLayout(
    name="mmseg_encnet",
    source="mmsegmentation's trained EncNet R50/R101-D8 checkpoints (encnet_r50-d8_4xb4-80k_ade20k-512x512, ...), for "
           "MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION half, ALIGN_CORNERS False, ENCNET.DROPOUT_2D True",
    rules=RULES,
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    prepare=_encnet_without_neck,
    recipe="seg_engine://EncNet/ade20k/encnet_R50-d8_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/EncNet/tests/data/mmseg_encnet_r50_d8_keys.txt",
    examples={"decode_head.bottleneck.0.weight": "decode_head.bottleneck.conv.weight",
              "decode_head.enc_module.projection.1.running_mean": "decode_head.enc_module.encoding_project.bn.running_mean",
              "decode_head.enc_module.fc.weight": "decode_head.enc_module.fc.0.weight"},
))
register_layout(WeightLayout(
    name="mmseg_fastfcn",
    source="mmsegmentation's FastFCN EncNet (fastfcn_r50-d32_jpu_enc_4xb4-80k_ade20k-512x512): as mmseg_encnet plus "
           "the JPU neck, for ENCNET.USE_JPU True and ENCNET.BOTTLENECK_KERNEL 3 (mmseg keeps the 3x3 head conv)",
    rules=RULES,
    reuses=[("backbone.", "mmseg_resnet_v1c"), ("neck.", "mmseg_jpu")],
    prepare=_enc_head_on_a_neck,
    recipe="seg_engine://EncNet/ade20k/encnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/EncNet/tests/data/mmseg_fastfcn_r50_d32_jpu_enc_keys.txt",
    examples={"backbone.conv1.weight": "backbone.stem.0.weight",
              "decode_head.enc_module.encoding.codewords": "decode_head.enc_module.encoding.0.codewords",
              "decode_head.enc_module.code_norm.running_var": "decode_head.enc_module.encoding.1.running_var",
              "decode_head.se_classifier.weight": "decode_head.se_layer.weight",
              "neck.convs.2.0.weight": "neck.conv_layers.2.0.conv.weight",
              "neck.branches.3.conv_pw.weight": "neck.dilation_layers.3.0.pointwise_conv.conv.weight",
              "aux_head.classifier.bias": "auxiliary_head.conv_seg.bias"},
))
