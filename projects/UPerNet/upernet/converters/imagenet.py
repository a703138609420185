"""ImageNet Swin and ConvNeXt files in the authors' and timm's layouts, to start the UPerNet recipes.

The authors' files (``swin_tiny_patch4_window7_224.pth``, ``convnext_tiny_1k_224.pth``) hold ``{"model": ...}``,
which the Checkpointer takes for this toolbox's own format: convert them offline with
``tools/convert_weights.py --format NAME IN OUT`` and set MODEL.WEIGHTS to OUT. The classifiers (the final
norm over the pooled or last map, and the fc) are dropped; the segmentation backbone's output norms
(norm0..3) keep their initialisation, as in the authors' segmentation code.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .layouts import CONVNEXT_AUTHORS, SWIN_AUTHORS, SWIN_CLASSIFIER, SWIN_DERIVED, with_prefix

TIMM_SWIN = [
    # timm 0.9+ moved the patch merging to the start of the next stage: layers.i.downsample merges stage i-1.
    (r"backbone\.layers\.(\d+)\.downsample\.", r"backbone.layers.<\1>.downsample."),
    (r"backbone\.(patch_embed|layers)\.", r"backbone.\1."),
]
TIMM_CONVNEXT = [
    (r"backbone\.stem\.", "backbone.downsample_layers.0."),
    (r"backbone\.stages\.(\d+)\.downsample\.", r"backbone.downsample_layers.\1."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.conv_dw\.", r"backbone.stages.\1.\2.dwconv."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.mlp\.fc([12])\.", r"backbone.stages.\1.\2.pwconv\3."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.(norm|gamma)", r"backbone.stages.\1.\2.\3"),
]


@WEIGHT_CONVERTERS.register()
def swin_imagenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The authors' ImageNet Swin (microsoft/Swin-Transformer releases; also timm before 0.9)."""
    return rename_keys(with_prefix(state_dict), SWIN_AUTHORS, SWIN_DERIVED + SWIN_CLASSIFIER)


@WEIGHT_CONVERTERS.register()
def timm_swin(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """timm 0.9+'s ``swin_*_patch4_window*`` (e.g. ``swin_tiny_patch4_window7_224.ms_in1k``)."""
    return rename_keys(with_prefix(state_dict), TIMM_SWIN, SWIN_DERIVED + [r"backbone\.norm\.", r"backbone\.head\."])


@WEIGHT_CONVERTERS.register()
def convnext_imagenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The authors' ImageNet ConvNeXt (facebookresearch/ConvNeXt ``convnext_*_1k_224.pth``, ``*_22k_*``)."""
    return rename_keys(with_prefix(state_dict), CONVNEXT_AUTHORS, [r"backbone\.norm\.", r"backbone\.head\."])


@WEIGHT_CONVERTERS.register()
def timm_convnext(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """timm's ``convnext_*`` (e.g. ``convnext_tiny.fb_in1k``)."""
    return rename_keys(with_prefix(state_dict), TIMM_CONVNEXT, [r"backbone\.head\."])
