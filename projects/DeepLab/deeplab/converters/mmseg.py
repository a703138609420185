"""mmsegmentation 1.x's trained DeepLab checkpoints: DeepLabv3 (``ASPPHead``) and DeepLabv3+
(``DepthwiseSeparableASPPHead``) R50/R101-D8, and FastFCN's DeepLabv3 (``fastfcn_r50-d32_jpu_aspp``, JPU neck).

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c); the ASPP ``decode_head.image_pool.1``,
``decode_head.aspp_modules.i`` (i = 0 the 1x1 branch, 1..3 the atrous ones) and ``decode_head.bottleneck`` (the 3x3
projection), ConvModules; ``decode_head.conv_seg``; the FCN auxiliary head ``auxiliary_head.convs.0``,
``auxiliary_head.conv_seg``. DeepLabv3+'s atrous branches are DepthwiseSeparableConvModules
(``aspp_modules.i.{depthwise_conv,pointwise_conv}``), its decoder adds the low-level projection ``c1_bottleneck`` and
the separable convs ``sep_bottleneck.{0,1}``. FastFCN's adds the JPU ``neck.*`` (the core's ``mmseg_jpu``, which
reorders the branches' channel blocks to this JPU's concat order).
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, conv_seg, fcn_head, require, separable_conv_module

POOL_AND_PROJECTION = (conv_module(r"decode_head\.image_pool\.1", "decode_head.aspp.pool.1")
                       + conv_module(r"decode_head\.bottleneck", "decode_head.aspp.project"))
CLASSIFIERS = conv_seg("decode_head", "decode_head") + fcn_head("auxiliary_head", "aux_head")
DEEPLABV3 = (POOL_AND_PROJECTION
             + conv_module(r"decode_head\.aspp_modules\.(\d+)", r"decode_head.aspp.convs.\1")
             + CLASSIFIERS)
DEEPLABV3PLUS = (POOL_AND_PROJECTION
                 + conv_module(r"decode_head\.aspp_modules\.0", "decode_head.aspp.convs.0")
                 + separable_conv_module(r"decode_head\.aspp_modules\.(\d+)", r"decode_head.aspp.convs.\1")
                 + conv_module(r"decode_head\.c1_bottleneck", "decode_head.low_level")
                 + separable_conv_module(r"decode_head\.sep_bottleneck\.(\d+)", r"decode_head.fuse.\1")
                 + CLASSIFIERS)

register_layout(WeightLayout(
    name="mmseg_deeplabv3",
    source="mmsegmentation's trained DeepLabv3 R50/R101-D8 checkpoints (deeplabv3_r50-d8_4xb4-80k_ade20k-512x512, "
           "...), for MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION half, HEAD.CHANNELS 512, ASPP.POOL_POSITION "
           "first, ASPP.PROJECT_KERNEL 3, ALIGN_CORNERS False",
    rules=DEEPLABV3,
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    recipe="seg_engine://DeepLab/ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/DeepLab/tests/data/mmseg_deeplabv3_r50-d8_150_keys.txt",
    examples={"backbone.conv2.weight": "backbone.stem.3.weight",
              "decode_head.aspp.project.0.weight": "decode_head.bottleneck.conv.weight",
              "decode_head.aspp.convs.3.1.bias": "decode_head.aspp_modules.3.bn.bias"},
))
register_layout(WeightLayout(
    name="mmseg_deeplabv3plus",
    source="mmsegmentation's trained DeepLabv3+ R50/R101-D8 checkpoints (deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512, "
           "...): as mmseg_deeplabv3 with ASPP.SEPARABLE True and DEEPLAB.DECODER_SEPARABLE True",
    rules=DEEPLABV3PLUS,
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    recipe="seg_engine://DeepLab/ade20k/deeplabv3plus_R50-D8_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/DeepLab/tests/data/mmseg_deeplabv3plus_r50-d8_150_keys.txt",
    examples={"decode_head.aspp.convs.2.conv_dw.weight": "decode_head.aspp_modules.2.depthwise_conv.conv.weight",
              "decode_head.fuse.1.bn_pw.weight": "decode_head.sep_bottleneck.1.pointwise_conv.bn.weight",
              "decode_head.low_level.0.weight": "decode_head.c1_bottleneck.conv.weight"},
))
register_layout(WeightLayout(
    name="mmseg_fastfcn_aspp",
    source="mmsegmentation's FastFCN DeepLabv3 (fastfcn_r50-d32_jpu_aspp_4xb2-80k_cityscapes-512x1024): ResNetV1c "
           "strided to 32 and dilated 1, 1, 2, 4, the JPU neck (DEEPLAB.USE_JPU), mmseg_deeplabv3's heads",
    rules=DEEPLABV3,
    reuses=[("backbone.", "mmseg_resnet_v1c"), ("neck.", "mmseg_jpu")],
    prepare=require("neck.", "MODEL.WEIGHTS_FORMAT mmseg_fastfcn_aspp: this checkpoint has no JPU neck; "
                             "use mmseg_deeplabv3"),
    recipe="seg_engine://DeepLab/cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml",
    key_table="projects/DeepLab/tests/data/mmseg_fastfcn_r50-d32_jpu_aspp_19_keys.txt",
    examples={"neck.convs.2.1.running_var": "neck.conv_layers.2.0.bn.running_var",
              "neck.branches.3.bn_pw.running_mean": "neck.dilation_layers.3.0.pointwise_conv.bn.running_mean",
              "neck.branches.0.bn_pw.bias": "neck.dilation_layers.0.0.pointwise_conv.bn.bias",
              "decode_head.aspp.convs.0.0.weight": "decode_head.aspp_modules.0.conv.weight",
              "aux_head.convs.0.0.weight": "auxiliary_head.convs.0.conv.weight"},
))
