"""CoinCheung/BiSeNet's BiSeNetV1 and BiSeNetV2 checkpoints (``model_final_v1_city_new.pth``,
``model_final_v2_city.pth``: the model's state dict) to RealTimeSegmentor.

BiSeNetV1 (``cp``: context path on ``resnet``, ``sp``, ``ffm``, heads ``conv_out``, ``conv_out16``,
``conv_out32``) maps one to one, with MODEL.BISENETV1.FFM_ATTENTION_ACT False (their FFM attention is
conv-BN-sigmoid). BiSeNetV2 (``detail.S1..3``, ``segment.S1S2..S5_5``, ``bga.left1/2``, ``right1/2``, ``head``)
needs MODEL.BISENETV2.BGA_UPSAMPLE "nearest" and BGA_POINTWISE_BIAS False; its booster heads (``aux2``,
``aux3``, ``aux4``, ``aux5_4``: conv, nearest x2, conv to up^2 channels, classifier) have no counterpart
here and are dropped (training only; the recipe trains none).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .mmseg_layout import conv_module

V1_RULES = (
    [(r"cp\.resnet\.", "backbone.resnet.")]
    + conv_module(r"cp\.(arm16|arm32)\.conv", r"backbone.context_path.\1.conv")
    + [(r"cp\.(arm16|arm32)\.conv_atten\.", r"backbone.context_path.\1.attention.1.0."),
       (r"cp\.(arm16|arm32)\.bn_atten\.", r"backbone.context_path.\1.attention.1.1.")]
    + conv_module(r"cp\.conv_head(16|32)", r"backbone.context_path.head\1")
    + conv_module(r"cp\.conv_avg", "backbone.context_path.global_conv")
    + conv_module(r"sp\.conv([123])", r"backbone.spatial_path.<\1>")
    + conv_module(r"sp\.conv_out", "backbone.spatial_path.3")
    + conv_module(r"ffm\.convblk", "backbone.ffm.conv")
    + [(r"ffm\.conv\.", "backbone.ffm.attention.1.0."), (r"ffm\.bn\.", "backbone.ffm.attention.1.1.")]
)
for theirs, ours in (("conv_out", "decode_head"), ("conv_out16", "aux_head"), ("conv_out32", "aux_head2")):
    V1_RULES += conv_module(rf"{theirs}\.conv", f"{ours}.convs.0") + [(rf"{theirs}\.conv_out\.", f"{ours}.classifier.")]

STAGES = {"S3": 1, "S4": 2, "S5_4": 3}
V2_RULES = (
    conv_module(r"detail\.S([123])\.(\d+)", r"backbone.detail.<\1>.\2")
    + conv_module(r"segment\.S1S2\.conv", "backbone.semantic.stages.0.conv_first")
    + conv_module(r"segment\.S1S2\.left\.(\d)", r"backbone.semantic.stages.0.convs.\1")
    + conv_module(r"segment\.S1S2\.fuse", "backbone.semantic.stages.0.fuse_last")
    + [(r"segment\.S5_5\.bn\.", "backbone.semantic.ce.gap.1.")]
    + conv_module(r"segment\.S5_5\.(conv_gap|conv_last)", r"backbone.semantic.ce.\1")
)
for name, index in STAGES.items():
    stage, ours = rf"segment\.{name}\.(\d+)", rf"backbone.semantic.stages.{index}.\1"
    V2_RULES += conv_module(rf"{stage}\.conv1", f"{ours}.conv1")
    V2_RULES += [
        (rf"{stage}\.dwconv\.([01])\.", rf"{ours}.dwconv.0.\2."),  # stride 1: conv, BN (ReLU)
        (rf"{stage}\.dwconv1\.([01])\.", rf"{ours}.dwconv.0.\2."),  # stride 2: the strided depthwise conv
        (rf"{stage}\.dwconv2\.([01])\.", rf"{ours}.dwconv.1.\2."),
        (rf"{stage}\.conv2\.([01])\.", rf"{ours}.conv2.\2."),
        (rf"{stage}\.shortcut\.([01])\.", rf"{ours}.shortcut.0.\2."),
        (rf"{stage}\.shortcut\.2\.", rf"{ours}.shortcut.1.0."),
        (rf"{stage}\.shortcut\.3\.", rf"{ours}.shortcut.1.1."),
    ]
V2_RULES += [
    (r"bga\.left1\.([01])\.", r"backbone.bga.detail_dwconv.0.\1."), (r"bga\.left1\.2\.", "backbone.bga.detail_dwconv.1."),
    (r"bga\.left2\.([01])\.", r"backbone.bga.detail_down.0.\1."),
    (r"bga\.right1\.([01])\.", r"backbone.bga.semantic_conv.\1."),
    (r"bga\.right2\.([01])\.", r"backbone.bga.semantic_dwconv.0.\1."), (r"bga\.right2\.2\.", "backbone.bga.semantic_dwconv.1."),
    (r"bga\.conv\.([01])\.", r"backbone.bga.conv.\1."),
]
V2_RULES += conv_module(r"head\.conv", "decode_head.convs.0") + [(r"head\.conv_out\.1\.", "decode_head.classifier.")]
BOOSTERS = [r"aux(2|3|4|5_4)\."]


@WEIGHT_CONVERTERS.register()
def coincheung_bisenetv1(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/cityscapes/bisenetv1_R18_cityscapes_coincheung.yaml (the auxiliary heads included)."""
    return rename_keys(state_dict, V1_RULES)


@WEIGHT_CONVERTERS.register()
def coincheung_bisenetv2(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/cityscapes/bisenetv2_cityscapes_coincheung.yaml; the booster heads are dropped."""
    return rename_keys(state_dict, V2_RULES, drop=BOOSTERS)
