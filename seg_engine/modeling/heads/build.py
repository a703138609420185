"""build_head: the head a config node names, from HEAD_REGISTRY."""
from __future__ import annotations

from typing import Dict

from torch import nn

from ..backbone.backbone import ShapeSpec
from ..registry import HEAD_REGISTRY


def build_head(cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> nn.Module:
    """``head_cfg`` is the node (MODEL.HEAD, MODEL.AUX_HEAD, ...) whose NAME picks the class."""
    if head_cfg.IN_FEATURE not in input_shape:
        raise ValueError(
            f"head {head_cfg.NAME} reads feature {head_cfg.IN_FEATURE!r}, but the backbone gives "
            f"{sorted(input_shape)}; add it to the backbone's OUT_FEATURES "
            "(MODEL.RESNETS, MODEL.VGG, MODEL.TORCHVISION, MODEL.TIMM, ...)"
        )
    return HEAD_REGISTRY.get(head_cfg.NAME)(cfg, head_cfg, input_shape)
