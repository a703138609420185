"""segmentation_models_pytorch's ``UnetPlusPlus`` with a ResNet encoder to UNetPlusPlus (WIDTHS "smp").

smp names a node ``x_{d}_{l}``: decoder step l (0: joining the deepest skip) and d counting back from
the level's last node; here it is X(i, j) with level i = D - 1 - l and column j = l + 1 - d.
``x_0_{D}`` is the skip-less last block (``decoder.final.0``); ``segmentation_head.0`` the 3x3 head.
"""
from __future__ import annotations

import re
from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .smp_encoders import SMP_CONV_RELU, SMP_RESNET_ENCODER


def _rules(depth: int):
    rules = list(SMP_RESNET_ENCODER)
    for l in range(depth + 1):
        for d in range(l + 1):
            ours = "decoder.final.0" if l == depth else f"decoder.nodes.x_{depth - 1 - l}_{l + 1 - d}"
            rules += [(rf"decoder\.blocks\.x_{d}_{l}\.{c}\.", f"{ours}.convs.{i}.") for c, i in SMP_CONV_RELU.items()]
    return rules + [(r"segmentation_head\.0\.", "decode_head.classifier.")]


@WEIGHT_CONVERTERS.register()
def smp_unetplusplus(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-UNetPlusPlus-smp.yaml; every key is renamed (the depth is read from the keys)."""
    depth = max((int(m.group(1)) for k in state_dict if (m := re.match(r"decoder\.blocks\.x_\d+_(\d+)\.", k))), default=0)
    return rename_keys(state_dict, _rules(depth))
