"""mmpretrain's ImageNet ConvNeXts, the start of mmsegmentation's ConvNeXt recipes, for the core ConvNeXt backbone:
the authors' names but ``depthwise_conv`` and ``pointwise_conv1/2`` in each block, under ``backbone.``."""
from ..layout import WeightLayout, register_layout
from ..vocabulary import prefix, strip_prefix

register_layout(WeightLayout(
    name="mmpretrain_convnext_imagenet",
    source="mmpretrain's ImageNet ConvNeXt (convnext-tiny_3rdparty_32xb128-noema_in1k_20220301-795e9634.pth, ...) for "
           "the core ConvNeXt backbone, without the classifier (head); its norm3 (the classifier's norm of stage 3) "
           "loads into the backbone's norm3, as mmsegmentation loads it",
    rules=[(r"stages\.(\d+)\.(\d+)\.depthwise_conv\.", r"backbone.stages.\1.\2.dwconv."),
           (r"stages\.(\d+)\.(\d+)\.pointwise_conv([12])\.", r"backbone.stages.\1.\2.pwconv\3.")]
    + prefix(r"(downsample_layers|stages|norm\d)", r"backbone.\1"),
    drop=[r"head\."],
    prepare=strip_prefix(),
))
