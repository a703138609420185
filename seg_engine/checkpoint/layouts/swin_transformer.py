"""The authors' ImageNet Swin Transformers (microsoft/Swin-Transformer's releases, e.g.
``swin_tiny_patch4_window7_224.pth``, a ``{"model": ...}`` file; timm before 0.9 saved the same keys) for the core Swin
backbone, whose names are the authors' segmentation code's."""
from ..layout import WeightLayout, register_layout
from ..vocabulary import prefix, strip_prefix
from .mmseg import SWIN_DERIVED

register_layout(WeightLayout(
    name="swin_imagenet",
    source="the authors' ImageNet Swin (microsoft/Swin-Transformer: swin_tiny_patch4_window7_224.pth, ...; timm before "
           "0.9) for the core Swin backbone, without the classifier (final norm, head); the output norms norm0..3 keep "
           "their initialisation, as in the authors' segmentation code",
    rules=prefix(r"(patch_embed|layers|norm\d)", r"backbone.\1"),
    drop=SWIN_DERIVED + [r"norm\.", r"head\."],
    prepare=strip_prefix(),
))
