"""The authors' ImageNet ConvNeXts (facebookresearch/ConvNeXt's releases, e.g. ``convnext_tiny_1k_224.pth``, a
``{"model": ...}`` file) for the core ConvNeXt backbone, whose names are the authors' segmentation code's."""
from ..layout import WeightLayout, register_layout
from ..vocabulary import prefix, strip_prefix

register_layout(WeightLayout(
    name="convnext_imagenet",
    source="the authors' ImageNet ConvNeXt (facebookresearch/ConvNeXt: convnext_tiny_1k_224.pth, *_22k_*, ...) for the "
           "core ConvNeXt backbone, without the classifier (final norm, head); the output norms norm0..3 keep their "
           "initialisation, as in the authors' segmentation code",
    rules=prefix(r"(downsample_layers|stages|norm\d)", r"backbone.\1"),
    drop=[r"norm\.", r"head\."],
    prepare=strip_prefix(),
))
