"""CoinCheung/BiSeNet's BiSeNetV1 and BiSeNetV2 checkpoints (``model_final_v1_city_new.pth``,
``model_final_v2_city.pth``: the model's state dict) to the composed model.

BiSeNetV1 (``cp``: context path on ``resnet``, ``sp``, ``ffm``, heads ``conv_out``, ``conv_out16``,
``conv_out32``) maps one to one, with MODEL.BISENETV1.FFM_ATTENTION_ACT False (their FFM attention is
conv-BN-sigmoid). BiSeNetV2 (``detail.S1..3``, ``segment.S1S2..S5_5``, ``bga.left1/2``, ``right1/2``, ``head``)
needs MODEL.BISENETV2.BGA_UPSAMPLE "nearest" and BGA_POINTWISE_BIAS False; its booster heads (``aux2``,
``aux3``, ``aux4``, ``aux5_4``: conv, nearest x2, conv to up^2 channels, classifier) have no counterpart
here and are dropped (training only; the recipe trains none).
"""
from __future__ import annotations

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module

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


register_layout(WeightLayout(
    name="coincheung_bisenetv1",
    source="CoinCheung/BiSeNet's BiSeNetV1 (model_final_v1_city_new.pth), auxiliary heads included; for "
           "MODEL.BISENETV1.FFM_ATTENTION_ACT False",
    rules=V1_RULES,
    recipe="seg_engine://RealTime/cityscapes/bisenetv1_R18_cityscapes_coincheung.yaml",
    key_table="projects/RealTime/tests/data/coincheung_bisenetv1_keys.txt",
    examples={"backbone.resnet.layer3.0.downsample.1.weight": "cp.resnet.layer3.0.downsample.1.weight",
              "backbone.context_path.arm16.attention.1.0.weight": "cp.arm16.conv_atten.weight",
              "backbone.context_path.global_conv.1.bias": "cp.conv_avg.bn.bias",
              "backbone.spatial_path.3.0.weight": "sp.conv_out.conv.weight",
              "backbone.ffm.attention.1.1.weight": "ffm.bn.weight",
              "aux_head2.classifier.weight": "conv_out32.conv_out.weight"},
))
register_layout(WeightLayout(
    name="coincheung_bisenetv2",
    source="CoinCheung/BiSeNet's BiSeNetV2 (model_final_v2_city.pth); its booster heads are dropped; for "
           "MODEL.BISENETV2.BGA_UPSAMPLE nearest and BGA_POINTWISE_BIAS False",
    rules=V2_RULES,
    drop=BOOSTERS,
    recipe="seg_engine://RealTime/cityscapes/bisenetv2_cityscapes_coincheung.yaml",
    key_table="projects/RealTime/tests/data/coincheung_bisenetv2_keys.txt",
    examples={"backbone.detail.2.1.0.weight": "detail.S3.1.conv.weight",
              "backbone.semantic.stages.1.0.dwconv.1.1.weight": "segment.S3.0.dwconv2.1.weight",
              "backbone.semantic.stages.3.2.dwconv.0.0.weight": "segment.S5_4.2.dwconv.0.weight",
              "backbone.semantic.stages.2.0.shortcut.1.1.bias": "segment.S4.0.shortcut.3.bias",
              "backbone.semantic.ce.gap.1.weight": "segment.S5_5.bn.weight",
              "backbone.bga.detail_dwconv.1.weight": "bga.left1.2.weight",
              "decode_head.classifier.weight": "head.conv_out.1.weight"},
))
