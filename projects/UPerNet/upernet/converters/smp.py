"""segmentation_models_pytorch's ``UPerNet`` (0.4+) with a ResNet encoder.

Their keys: ``encoder.*`` (torchvision's ResNet without ``fc``), ``decoder.feature_norms.i`` (a LayerNorm per encoder
map), ``decoder.psp.blocks.i.1.{0,1}`` and ``decoder.psp.out_conv.{0,1}`` (pyramid pooling and its 3x3 conv),
``decoder.fpn_lateral_blocks.i.conv_norm_relu.{0,1}`` and ``decoder.fpn_conv_blocks.i.{0,1}`` (coarsest level first),
``decoder.fusion_block.{0,1}`` and ``segmentation_head.0`` (the 1x1 classifier).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import prefix, smp_segmentation_head, torchvision_resnet

RULES = (torchvision_resnet("encoder", "backbone")
         + prefix(r"decoder\.feature_norms", "decode_head.input_norms")
         + prefix(r"decoder\.psp\.blocks\.(\d+)\.1", r"decode_head.ppm.branches.\1.1")
         + prefix(r"decoder\.psp\.out_conv", "decode_head.bottleneck")
         + prefix(r"decoder\.fusion_block", "decode_head.fpn_bottleneck")
         + smp_segmentation_head("decode_head"))
_LATERAL = re.compile(r"decoder\.fpn_lateral_blocks\.(\d+)\.")


def rules(state: Dict[str, Any]) -> List[Rule]:
    """RULES and the FPN levels, which smp lists coarsest first (block 0 reads the stride-16 map), here finest first."""
    levels = len({m.group(1) for m in map(_LATERAL.match, state) if m})
    reversed_levels = []
    for i in range(levels):
        reversed_levels += prefix(rf"decoder\.fpn_lateral_blocks\.{i}\.conv_norm_relu", f"decode_head.lateral_convs.{levels - 1 - i}")
        reversed_levels += prefix(rf"decoder\.fpn_conv_blocks\.{i}", f"decode_head.fpn_convs.{levels - 1 - i}")
    return RULES + reversed_levels


register_layout(WeightLayout(
    name="smp_upernet",
    source="segmentation_models_pytorch's UPerNet (0.4+) with a ResNet encoder, for Base-UPerNet-smp.yaml "
           "(torchvision ResNet, INPUT_NORM, CHANNELS 256, no auxiliary head)",
    rules=rules,
    recipe="seg_engine://UPerNet/Base-UPerNet-smp.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 150),
    key_table="projects/UPerNet/tests/data/smp_upernet_resnet50_150_keys.txt",
    examples={"decode_head.lateral_convs.2.0.weight": "decoder.fpn_lateral_blocks.0.conv_norm_relu.0.weight",
              "decode_head.lateral_convs.0.1.running_mean": "decoder.fpn_lateral_blocks.2.conv_norm_relu.1.running_mean",
              "decode_head.fpn_convs.0.0.weight": "decoder.fpn_conv_blocks.2.0.weight",
              "decode_head.bottleneck.0.weight": "decoder.psp.out_conv.0.weight",
              "decode_head.input_norms.3.bias": "decoder.feature_norms.3.bias",
              "backbone.layer4.2.conv3.weight": "encoder.layer4.2.conv3.weight"},
))
