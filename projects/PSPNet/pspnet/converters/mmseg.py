"""mmsegmentation 1.x's trained PSPNet checkpoints: the R50/R101-D8 models and FastFCN's PSPNet (JPU neck).

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c), ``decode_head.psp_modules.i.1`` and
``decode_head.bottleneck`` (ConvModules), ``decode_head.conv_seg``, the FCN auxiliary head ``auxiliary_head.*`` and,
in FastFCN's, the JPU ``neck.*``.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, conv_seg, fcn_head, require

RULES = (conv_module(r"decode_head\.psp_modules\.(\d+)\.1", r"decode_head.ppm.branches.\1.1")
         + conv_module(r"decode_head\.bottleneck", "decode_head.bottleneck")
         + conv_seg("decode_head", "decode_head")
         + fcn_head("auxiliary_head", "aux_head"))
PSPNET = WeightLayout(
    name="mmseg_pspnet",
    source="mmsegmentation's trained PSPNet R50/R101-D8 checkpoints (pspnet_r50-d8_4xb4-80k_ade20k-512x512, ...), "
           "for MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION half, ALIGN_CORNERS False",
    rules=RULES,
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    recipe="seg_engine://PSPNet/ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml",
)
register_layout(PSPNET)
register_layout(WeightLayout(
    name="mmseg_fastfcn_psp",
    source="mmsegmentation's FastFCN PSPNet (fastfcn_r50-d32_jpu_psp_4xb4-80k_ade20k-512x512): ResNetV1c strided to 32 "
           "and dilated 1, 1, 2, 4, the JPU neck, PSPNet's heads",
    rules=RULES,
    reuses=[("backbone.", "mmseg_resnet_v1c"), ("neck.", "mmseg_jpu")],
    prepare=require("neck.", "MODEL.WEIGHTS_FORMAT mmseg_fastfcn_psp: this checkpoint has no JPU neck; use mmseg_pspnet"),
    recipe="seg_engine://PSPNet/ade20k/pspnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/PSPNet/tests/data/mmseg_fastfcn_r50_d32_jpu_psp_keys.txt",
    examples={"decode_head.ppm.branches.0.1.0.weight": "decode_head.psp_modules.0.1.conv.weight",
              "aux_head.convs.0.1.running_var": "auxiliary_head.convs.0.bn.running_var"},
))
