"""mmsegmentation 1.x's trained UPerNets, one layout per backbone: ResNetV1c, Swin, and ConvNeXt through mmpretrain.

Their keys: ``backbone.*`` in mmsegmentation's ImageNet layout of that backbone (the core's ``mmseg_resnet_v1c``,
``mmseg_swin_imagenet``, ``mmpretrain_convnext_imagenet``), ``decode_head.{psp_modules.i.1, bottleneck, lateral_convs.i,
fpn_convs.i, fpn_bottleneck}`` (ConvModules), ``decode_head.conv_seg`` and the FCN auxiliary head ``auxiliary_head.*``.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, conv_seg, fcn_head

RECIPES = "seg_engine://UPerNet/ade20k/"
# mmsegmentation's UPerHead and FCNHead (also the authors' mmseg-0.x forks): ConvModules conv/bn, conv_seg.
UPER_HEAD = (conv_module(r"decode_head\.psp_modules\.(\d+)\.1", r"decode_head.ppm.branches.\1.1")
             + conv_module(r"decode_head\.(bottleneck|fpn_bottleneck)", r"decode_head.\1")
             + conv_module(r"decode_head\.(lateral_convs|fpn_convs)\.(\d+)", r"decode_head.\1.\2")
             + conv_seg("decode_head", "decode_head")
             + fcn_head("auxiliary_head", "aux_head"))
HEAD_EXAMPLES = {"decode_head.ppm.branches.3.1.1.running_var": "decode_head.psp_modules.3.1.bn.running_var",
                 "decode_head.lateral_convs.2.0.weight": "decode_head.lateral_convs.2.conv.weight",
                 "decode_head.fpn_bottleneck.1.bias": "decode_head.fpn_bottleneck.bn.bias",
                 "decode_head.classifier.weight": "decode_head.conv_seg.weight",
                 "aux_head.convs.0.1.weight": "auxiliary_head.convs.0.bn.weight"}

register_layout(WeightLayout(
    name="mmseg_upernet",
    source="mmsegmentation's trained UPerNet R50/R101 checkpoints (upernet_r50_4xb4-80k_ade20k-512x512, ...): "
           "ResNetV1c (MODEL.RESNETS.STEM_WIDTH 32) at output stride 32",
    rules=UPER_HEAD,
    reuses=[("backbone.", "mmseg_resnet_v1c")],
    recipe=RECIPES + "upernet_r50_512x512_80k_ade20k_mmseg.yaml",
    key_table="projects/UPerNet/tests/data/mmseg_upernet_r50_150_keys.txt",
    examples={**HEAD_EXAMPLES, "backbone.conv2.weight": "backbone.stem.3.weight"},
))
register_layout(WeightLayout(
    name="mmseg_upernet_swin",
    source="mmsegmentation's trained Swin UPerNets (swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512, "
           "S, B): its SwinTransformer (patch merging reordered to the authors' order)",
    rules=UPER_HEAD,
    reuses=[("backbone.", "mmseg_swin_imagenet")],
    recipe=RECIPES + "upernet_swin-t_512x512_160k_ade20k_mmseg.yaml",
    key_table="projects/UPerNet/tests/data/mmseg_upernet_swin-t_150_keys.txt",
    examples={**HEAD_EXAMPLES,
              "backbone.layers.2.blocks.5.attn.qkv.weight": "backbone.stages.2.blocks.5.attn.w_msa.qkv.weight",
              "backbone.layers.0.blocks.1.mlp.fc1.bias": "backbone.stages.0.blocks.1.ffn.layers.0.0.bias",
              "backbone.patch_embed.proj.weight": "backbone.patch_embed.projection.weight",
              "backbone.layers.1.downsample.reduction.weight": "backbone.stages.1.downsample.reduction.weight"},
))
register_layout(WeightLayout(
    name="mmseg_upernet_convnext",
    source="mmsegmentation's trained ConvNeXt UPerNets (convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512, S, B): "
           "mmpretrain's ConvNeXt",
    rules=UPER_HEAD,
    reuses=[("backbone.", "mmpretrain_convnext_imagenet")],
    recipe=RECIPES + "upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml",
    key_table="projects/UPerNet/tests/data/mmseg_upernet_convnext-t_150_keys.txt",
    examples={**HEAD_EXAMPLES,
              "backbone.stages.2.8.pwconv2.weight": "backbone.stages.2.8.pointwise_conv2.weight",
              "backbone.stages.0.1.dwconv.bias": "backbone.stages.0.1.depthwise_conv.bias",
              "backbone.norm3.weight": "backbone.norm3.weight"},
))
