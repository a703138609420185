"""mmsegmentation's BiSeNetV2 checkpoints (``bisenetv2_fcn_4xb{4,8}*-160k_cityscapes-1024x1024``) to
RealTimeSegmentor with the ``build_bisenetv2_backbone``: ``auxiliary_head.0..3`` are AUX_HEAD..AUX_HEAD4."""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .mmseg_layout import conv_module, fcn_heads

SEM, STAGE = r"backbone\.semantic", r"backbone\.semantic\.stage([234])\.(\d+)"
OURS_STAGE = r"backbone.semantic.stages.<\1>.\2"
RULES = (
    conv_module(r"backbone\.detail\.detail_branch\.(\d+)\.(\d+)", r"backbone.detail.\1.\2")
    + conv_module(rf"{SEM}\.stage1\.(conv_first|fuse_last)", r"backbone.semantic.stages.0.\1")
    + conv_module(rf"{SEM}\.stage1\.convs\.(\d+)", r"backbone.semantic.stages.0.convs.\1")
    + conv_module(rf"{STAGE}\.conv1", f"{OURS_STAGE}.conv1")
    + conv_module(rf"{STAGE}\.dwconv\.(\d+)", rf"{OURS_STAGE}.dwconv.\3")
    + conv_module(rf"{STAGE}\.conv2\.0", f"{OURS_STAGE}.conv2")
    + conv_module(rf"{STAGE}\.shortcut\.0\.depthwise_conv", f"{OURS_STAGE}.shortcut.0")
    + conv_module(rf"{STAGE}\.shortcut\.0\.pointwise_conv", f"{OURS_STAGE}.shortcut.1")
    + [(rf"{SEM}\.stage4_CEBlock\.gap\.1\.", "backbone.semantic.ce.gap.1.")]
    + conv_module(rf"{SEM}\.stage4_CEBlock\.(conv_gap|conv_last)", r"backbone.semantic.ce.\1")
    + conv_module(r"backbone\.bga\.(detail|semantic)_dwconv\.0\.depthwise_conv", r"backbone.bga.\1_dwconv.0")
    + [(r"backbone\.bga\.(detail|semantic)_dwconv\.0\.pointwise_conv\.conv\.", r"backbone.bga.\1_dwconv.1.")]
    + conv_module(r"backbone\.bga\.detail_down\.0", "backbone.bga.detail_down.0")
    + conv_module(r"backbone\.bga\.semantic_conv\.0", "backbone.bga.semantic_conv")
    + conv_module(r"backbone\.bga\.conv", "backbone.bga.conv")
    + fcn_heads(4)
)


@WEIGHT_CONVERTERS.register()
def mmseg_bisenetv2(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-BiSeNetV2-mmseg.yaml."""
    return rename_keys(state_dict, RULES)
