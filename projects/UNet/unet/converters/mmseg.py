"""mmsegmentation's trained UNet S5-D16 + FCNHead checkpoints (``fcn_unet_s5-d16_*``).

Their keys: ``backbone.encoder.0.0.convs.j`` and ``backbone.encoder.i.1.convs.j`` (index 0 of later levels is the max
pool), ``backbone.decoder.i.{conv_block.convs.j, upsample.interp_upsample.1}`` where decoder i joins encoder level i
(so the deepest is the last: ``blocks.<n-1-i>`` here), ``decode_head.{convs.0, conv_seg}`` and
``auxiliary_head.{convs.0, conv_seg}``; all convs are mmcv ConvModules.
"""
import re
from typing import Any, Dict, List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import conv_module, fcn_head


def rules(state: Dict[str, Any]) -> List[Rule]:
    """The rules for a decoder of as many blocks as the file's keys name."""
    num_blocks = len({int(m.group(1)) for k in state if (m := re.match(r"backbone\.decoder\.(\d+)\.", k))})
    out = (conv_module(r"backbone\.encoder\.0\.0\.convs\.(\d+)", r"backbone.stages.0.\1")
           + conv_module(r"backbone\.encoder\.(\d+)\.1\.convs\.(\d+)", r"backbone.stages.\1.\2"))
    for i in range(num_blocks):
        block = f"decoder.blocks.{num_blocks - 1 - i}"
        out += (conv_module(rf"backbone\.decoder\.{i}\.conv_block\.convs\.(\d+)", rf"{block}.convs.\1")
                + conv_module(rf"backbone\.decoder\.{i}\.upsample\.interp_upsample\.1", f"{block}.up.conv"))
    return out + fcn_head("decode_head", "decode_head") + fcn_head("auxiliary_head", "aux_head")


register_layout(WeightLayout(
    name="mmseg_unet",
    source="mmsegmentation's trained UNet S5-D16 + FCN heads (unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024, ...), for "
           "Base-UNet-mmseg.yaml; the decoder's depth is read from the keys",
    rules=rules,
    recipe="seg_engine://UNet/Base-UNet-mmseg.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 150),
    key_table="projects/UNet/tests/data/mmseg_unet_s5-d16_keys.txt",
    examples={"backbone.stages.0.1.0.weight": "backbone.encoder.0.0.convs.1.conv.weight",
              "backbone.stages.3.0.1.bias": "backbone.encoder.3.1.convs.0.bn.bias",
              "decoder.blocks.0.up.conv.0.weight": "backbone.decoder.3.upsample.interp_upsample.1.conv.weight",
              "decoder.blocks.3.convs.1.1.running_mean": "backbone.decoder.0.conv_block.convs.1.bn.running_mean",
              "aux_head.classifier.weight": "auxiliary_head.conv_seg.weight"},
))
