"""build_neck: the neck MODEL.NECK.NAME names, from NECK_REGISTRY, or None."""
from __future__ import annotations

from typing import Dict, Optional

from torch import nn

from ..backbone.backbone import ShapeSpec
from ..registry import NECK_REGISTRY


def build_neck(cfg, input_shape: Dict[str, ShapeSpec]) -> Optional[nn.Module]:
    """``cls(**cls.from_config(cfg, input_shape))`` of MODEL.NECK.NAME on the backbone's maps; "" is no neck."""
    name = cfg.MODEL.NECK.NAME
    if not name:
        return None
    cls = NECK_REGISTRY.get(name)
    return cls(**cls.from_config(cfg, input_shape))
