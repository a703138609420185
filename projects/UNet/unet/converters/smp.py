"""segmentation_models_pytorch's ``Unet``, ``UnetPlusPlus`` and ``Linknet`` with a ResNet encoder.

Their keys: ``encoder.*`` (torchvision's ResNet without ``fc``: this ResNet with the "basic" stem),
``segmentation_head.0`` (the classifier conv) and their decoders':
- ``Unet``: ``decoder.blocks.{i}.conv{1,2}.{0,1}`` (Conv2dReLU = Sequential(conv, norm, ReLU); deepest block first, as
  here).
- ``UnetPlusPlus``: a node ``x_{d}_{l}`` is decoder step l (0: joining the deepest skip) and d counting back from the
  level's last node; here it is X(i, j) with level i = D - 1 - l and column j = l + 1 - d. ``x_0_{D}`` is the
  skip-less last block (``decoder.final.0``).
- ``Linknet``: ``decoder.blocks.{i}.block.{0,1,2}.{0,1}`` (1x1 Conv2dReLU, TransposeX2, 1x1 Conv2dReLU; deepest block
  first as here).
"""
import re
from typing import Any, Dict, List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import children, prefix, smp_segmentation_head, torchvision_resnet

ENCODER = torchvision_resnet("encoder", "backbone")
HEAD = smp_segmentation_head("decode_head")
CONV_RELUS = {"conv1": "0", "conv2": "1"}  # a decoder block's two Conv2dReLU -> ConvStack's layers


def unetplusplus_rules(state: Dict[str, Any]) -> List[Rule]:
    """The rules for a decoder as deep as the file's keys name."""
    depth = max((int(m.group(1)) for k in state if (m := re.match(r"decoder\.blocks\.x_\d+_(\d+)\.", k))), default=0)
    rules = list(ENCODER)
    for l in range(depth + 1):
        for d in range(l + 1):
            ours = "decoder.final.0" if l == depth else f"decoder.nodes.x_{depth - 1 - l}_{l + 1 - d}"
            rules += children(rf"decoder\.blocks\.x_{d}_{l}", f"{ours}.convs", CONV_RELUS)
    return rules + HEAD


register_layout(WeightLayout(
    name="smp_unet",
    source="segmentation_models_pytorch's Unet with a ResNet encoder (smp.Unet('resnet34', ...), its saved state "
           "dicts), for Base-UNet-smp.yaml with MODEL.RESNETS.DEPTH as the encoder's",
    rules=ENCODER + children(r"decoder\.blocks\.(\d+)", r"decoder.blocks.\1.convs", CONV_RELUS) + HEAD,
    recipe="seg_engine://UNet/Base-UNet-smp.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 21),
    key_table="projects/UNet/tests/data/smp_unet_resnet34_keys.txt",
    examples={"backbone.layer4.2.bn2.bias": "encoder.layer4.2.bn2.bias",
              "decoder.blocks.4.convs.1.1.weight": "decoder.blocks.4.conv2.1.weight",
              "decode_head.classifier.weight": "segmentation_head.0.weight"},
))
register_layout(WeightLayout(
    name="smp_unetplusplus",
    source="segmentation_models_pytorch's UnetPlusPlus with a ResNet encoder (smp.UnetPlusPlus('resnet34', ...)), "
           "for Base-UNetPlusPlus-smp.yaml (WIDTHS smp); the decoder's depth is read from the keys",
    rules=unetplusplus_rules,
    recipe="seg_engine://UNet/Base-UNetPlusPlus-smp.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 1),
    key_table="projects/UNet/tests/data/smp_unetplusplus_resnet34_keys.txt",
    examples={"decoder.nodes.x_3_1.convs.0.0.weight": "decoder.blocks.x_0_0.conv1.0.weight",
              "decoder.nodes.x_0_4.convs.0.0.weight": "decoder.blocks.x_0_3.conv1.0.weight",
              "decoder.nodes.x_0_1.convs.0.0.weight": "decoder.blocks.x_3_3.conv1.0.weight",
              "decoder.final.0.convs.1.0.weight": "decoder.blocks.x_0_4.conv2.0.weight"},
))
register_layout(WeightLayout(
    name="smp_linknet",
    source="segmentation_models_pytorch's Linknet with a ResNet encoder (smp.Linknet('resnet18', ...)), for "
           "Base-LinkNet-smp.yaml",
    rules=ENCODER + prefix(r"decoder\.blocks\.(\d+)\.block", r"decoder.blocks.\1.convs") + HEAD,
    recipe="seg_engine://UNet/Base-LinkNet-smp.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 12),
    key_table="projects/UNet/tests/data/smp_linknet_resnet18_keys.txt",
    examples={"decoder.blocks.4.convs.1.0.weight": "decoder.blocks.4.block.1.0.weight",
              "backbone.conv1.weight": "encoder.conv1.weight"},
))
