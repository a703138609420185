"""mmsegmentation's trained Semantic FPN checkpoints (``fpn_r50``/``fpn_r101`` configs).

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c), ``neck.lateral_convs.i.conv``,
``neck.fpn_convs.i.conv`` (ConvModules with bias and no norm), ``decode_head.scale_heads.i.j.{conv,bn}`` (the
up-samplings at odd j hold no keys) and ``decode_head.conv_seg``.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, conv_seg

register_layout(WeightLayout(
    name="mmseg_fpn",
    source="mmsegmentation's trained Semantic FPN R50/R101 checkpoints (fpn_r50_4xb4-160k_ade20k-512x512, ...), for "
           "the Base-SemanticFPN-mmseg.yaml models (MODEL.RESNETS.STEM_WIDTH 32, HEAD.NORM BN)",
    rules=conv_module(r"neck\.lateral_convs\.(\d+)", r"neck.lateral_convs.\1")
    + conv_module(r"neck\.fpn_convs\.(\d+)", r"neck.output_convs.\1")
    + conv_module(r"decode_head\.scale_heads\.(\d+)\.(\d+)", r"decode_head.scale_heads.\1.\2")
    + conv_seg("decode_head", "decode_head"),
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    recipe="seg_engine://FPN/ade20k/fpn_R50_512x512_160k_ade20k_mmseg.yaml",
    key_table="projects/FPN/tests/data/mmseg_fpn_r50_150_keys.txt",
    examples={"backbone.conv3.weight": "backbone.stem.6.weight",
              "neck.lateral_convs.3.0.weight": "neck.lateral_convs.3.conv.weight",
              "neck.output_convs.0.0.bias": "neck.fpn_convs.0.conv.bias",
              "decode_head.scale_heads.3.4.1.running_var": "decode_head.scale_heads.3.4.bn.running_var",
              "decode_head.classifier.weight": "decode_head.conv_seg.weight"},
))
