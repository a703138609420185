"""timm's aligned Xceptions (``xception41/65/71``, e.g. ``xception65.tf_in1k``) for DeepLabv3+'s backbone."""
from typing import Dict

from ...modeling.backbone.xception import xception_block_specs
from ..layout import WeightLayout, register_layout
from ..vocabulary import conv_module


def xception_rules(depth: int) -> list:
    """timm's ``blocks.<i>`` -> the backbone's entry/middle/exit flows, ``stem.<j>.conv/bn`` -> ``stem.<j>.0/1``."""
    rules = conv_module(r"stem\.([01])", r"backbone.stem.\1")
    position: Dict[str, int] = {}
    for i, (flow, _, _) in enumerate(xception_block_specs(depth)):
        target = f"backbone.{flow}.{position.setdefault(flow, 0)}"
        position[flow] += 1
        rules += [(rf"blocks\.{i}\.stack\.", f"{target}.")] + conv_module(rf"blocks\.{i}\.shortcut", f"{target}.shortcut")
    return rules


for _depth in (41, 65, 71):
    register_layout(WeightLayout(
        name=f"timm_xception{_depth}",
        source=f"timm's aligned xception{_depth} (e.g. xception{_depth}.tf_in1k) for MODEL.XCEPTION.DEPTH {_depth}, "
               "without the fc classifier",
        rules=xception_rules(_depth),
        drop=[r"head\.fc\."],
    ))
