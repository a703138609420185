"""mmsegmentation's trained FCN R50/R101-D8 checkpoints (``fcn_r50-d8_*``), for the built-in EncoderDecoder.

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c), ``decode_head.convs.{0,1}.{conv,bn}``,
``decode_head.conv_cat.{conv,bn}`` (the ``concat_input`` conv), ``decode_head.conv_seg``,
``auxiliary_head.convs.0.{conv,bn}`` and ``auxiliary_head.conv_seg``. The model here: MODEL.RESNETS.STEM_WIDTH 32,
FIRST_BLOCK_DILATION "half", MODEL.HEAD.NUM_CONVS 2 with CONCAT_INPUT True.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, fcn_head

register_layout(WeightLayout(
    name="mmseg_fcn",
    source="mmsegmentation's trained FCN R50/R101-D8 checkpoints (fcn_r50-d8_4xb4-80k_ade20k-512x512, ...), for "
           "MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION half, HEAD.NUM_CONVS 2, HEAD.CONCAT_INPUT True",
    rules=fcn_head("decode_head", "decode_head")
    + conv_module(r"decode_head\.conv_cat", "decode_head.conv_cat")
    + fcn_head("auxiliary_head", "aux_head"),
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    recipe="seg_engine://FCN/ade20k/fcn_R50-D8_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/FCN/tests/data/mmseg_fcn_r50_d8_keys.txt",
    examples={"decode_head.conv_cat.0.weight": "decode_head.conv_cat.conv.weight",
              "decode_head.convs.1.1.bias": "decode_head.convs.1.bn.bias",
              "backbone.conv3.weight": "backbone.stem.6.weight"},
))
