"""DrSleep/light-weight-refinenet's RF-LW-50/101/152 (``ResNetLW``) checkpoints.

The names are RefineNet-pytorch's (see :mod:`.refinenet_pytorch`) without the residual conv units;
the adaptation, fusion and pooling convs are 1x1.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .refinenet_pytorch import BACKBONE_RULES, PATH_RULES


@WEIGHT_CONVERTERS.register()
def light_weight_refinenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the Base-RefineNet-LW.yaml models. A RefineNet checkpoint (with RCUs) is refused by name."""
    return rename_keys(state_dict, BACKBONE_RULES + PATH_RULES)
