"""segmentation_models_pytorch's ``FPN`` with a ResNet encoder.

Their keys: ``encoder.*`` (torchvision's ResNet without ``fc``), ``decoder.p5`` (the 1x1 conv of C5),
``decoder.p{4,3,2}.skip_conv`` (the lateral 1x1 convs), ``decoder.seg_blocks.j.block.k.block.{0,1}`` (conv and
GroupNorm of the k-th unit of level p(5 - j)) and ``segmentation_head.0`` (the 1x1 classifier). smp lists the levels
coarsest first (``seg_blocks.0`` is p5) and the units without the up-samplings, which sit between the units here
(Sequential index 2k).
"""
from typing import List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import children, prefix, smp_segmentation_head, torchvision_resnet

LEVELS = 4  # p5 .. p2
UNITS = 3  # a level has as many units as up-samplings, at least one: 3 at p5


def seg_block_rules() -> List[Rule]:
    """``decoder.seg_blocks.j.block.k`` -> ``decode_head.scale_heads.<3 - j>.<2k>``."""
    return [rule for level in range(LEVELS) for unit in range(UNITS)
            for rule in prefix(rf"decoder\.seg_blocks\.{level}\.block\.{unit}\.block",
                               f"decode_head.scale_heads.{LEVELS - 1 - level}.{2 * unit}")]


register_layout(WeightLayout(
    name="smp_fpn",
    source="segmentation_models_pytorch's FPN with a ResNet encoder (smp.FPN('resnet50', ...), its saved state dicts), "
           "for the Base-SemanticFPN-smp.yaml models (torchvision ResNet, FPN.OUTPUT_CONVS False, GN head)",
    rules=torchvision_resnet("encoder", "backbone")
    + prefix(r"decoder\.p5", "neck.lateral_convs.3.0")
    + children(r"decoder", "neck.lateral_convs", {"p4.skip_conv": "2.0", "p3.skip_conv": "1.0", "p2.skip_conv": "0.0"})
    + seg_block_rules()
    + smp_segmentation_head("decode_head"),
    recipe="seg_engine://FPN/Base-SemanticFPN-smp.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 21),
    key_table="projects/FPN/tests/data/smp_fpn_resnet50_21_keys.txt",
    examples={"backbone.layer4.2.bn3.running_mean": "encoder.layer4.2.bn3.running_mean",
              "neck.lateral_convs.3.0.weight": "decoder.p5.weight",
              "neck.lateral_convs.0.0.bias": "decoder.p2.skip_conv.bias",
              "decode_head.scale_heads.0.0.0.weight": "decoder.seg_blocks.3.block.0.block.0.weight",
              "decode_head.scale_heads.3.4.1.bias": "decoder.seg_blocks.0.block.2.block.1.bias",
              "decode_head.classifier.bias": "segmentation_head.0.bias"},
))
