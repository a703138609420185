"""mmsegmentation's UNet S5-D16 + FCNHead checkpoints (``fcn_unet_s5-d16_*``) to UNet.

Their keys: ``backbone.encoder.0.0.convs.j`` and ``backbone.encoder.i.1.convs.j`` (index 0 of later
levels is the max pool), ``backbone.decoder.i.{conv_block.convs.j, upsample.interp_upsample.1}`` where
decoder i joins encoder level i (so the deepest is the last: ``blocks.<n-1-i>`` here),
``decode_head.{convs.0, conv_seg}`` and ``auxiliary_head.{convs.0, conv_seg}``. ConvModule's
``conv``/``bn`` are children 0/1.
"""
from __future__ import annotations

import re
from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

_CONV_MODULE = {"conv": "0", "bn": "1"}


def _rules(num_decoder_blocks: int):
    rules = [(rf"backbone\.encoder\.0\.0\.convs\.(\d+)\.{m}\.", rf"backbone.stages.0.\1.{c}.") for m, c in _CONV_MODULE.items()]
    rules += [(rf"backbone\.encoder\.(\d+)\.1\.convs\.(\d+)\.{m}\.", rf"backbone.stages.\1.\2.{c}.") for m, c in _CONV_MODULE.items()]
    for i in range(num_decoder_blocks):
        block = f"decoder.blocks.{num_decoder_blocks - 1 - i}"
        for m, c in _CONV_MODULE.items():
            rules.append((rf"backbone\.decoder\.{i}\.conv_block\.convs\.(\d+)\.{m}\.", rf"{block}.convs.\1.{c}."))
            rules.append((rf"backbone\.decoder\.{i}\.upsample\.interp_upsample\.1\.{m}\.", rf"{block}.up.conv.{c}."))
    for theirs, ours in (("decode_head", "decode_head"), ("auxiliary_head", "aux_head")):
        rules += [(rf"{theirs}\.convs\.0\.{m}\.", f"{ours}.convs.0.{c}.") for m, c in _CONV_MODULE.items()]
        rules.append((rf"{theirs}\.conv_seg\.", f"{ours}.classifier."))
    return rules


@WEIGHT_CONVERTERS.register()
def mmseg_unet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-UNet-mmseg.yaml; every key is renamed (the decoder's depth is read from the keys)."""
    blocks = {int(m.group(1)) for k in state_dict if (m := re.match(r"backbone\.decoder\.(\d+)\.", k))}
    return rename_keys(state_dict, _rules(len(blocks)))
