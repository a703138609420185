"""build_head: the head a config node names, from HEAD_REGISTRY; head_nodes: which nodes name the model's heads."""
from __future__ import annotations

from typing import Dict, List, Tuple

from torch import nn

from ..backbone.backbone import ShapeSpec
from ..registry import HEAD_REGISTRY


def aux_head_names(cfg) -> List[str]:
    """The config nodes under MODEL that MODEL.AUX_HEADS lists (e.g. ["AUX_HEAD", "AUX_HEAD2"]), checked."""
    names = list(cfg.MODEL.AUX_HEADS)
    for name in names:
        node = cfg.MODEL.get(name)
        if node is None or "NAME" not in node or "IN_FEATURES" not in node:
            raise ValueError(
                f"MODEL.AUX_HEADS names {name!r}, which is not a head node under MODEL (a node made with "
                "seg_engine.config.head_node, such as MODEL.AUX_HEAD)"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"MODEL.AUX_HEADS names a node twice: {names}")
    return names


def head_nodes(cfg) -> List[Tuple[str, object]]:
    """(key, node) of every head the model builds: ("MODEL.HEAD", ...), then each auxiliary head's."""
    return [("MODEL.HEAD", cfg.MODEL.HEAD)] + [(f"MODEL.{name}", cfg.MODEL[name]) for name in aux_head_names(cfg)]


def build_head(cfg, head_cfg, input_shape: Dict[str, ShapeSpec], key: str = "MODEL.HEAD") -> nn.Module:
    """The head ``head_cfg`` (the node at ``key``) names, on the maps of ``input_shape``.

    The class's ``from_config(cfg, head_cfg, input_shape)`` gives its constructor's arguments (a class without
    one is called as ``cls(cfg, head_cfg, input_shape)``). A head that works on one backbone only names it in
    ``requires_backbone``; its ``IN_FEATURES`` must be among the maps.
    """
    cls = HEAD_REGISTRY.get(head_cfg.NAME)
    required = getattr(cls, "requires_backbone", None)
    if required and cfg.MODEL.BACKBONE.NAME != required:
        raise ValueError(
            f"{key}.NAME {head_cfg.NAME} reads the maps of one backbone: it needs MODEL.BACKBONE.NAME {required}, "
            f"got {cfg.MODEL.BACKBONE.NAME}"
        )
    missing = [name for name in head_cfg.IN_FEATURES if name not in input_shape]
    if missing or not head_cfg.IN_FEATURES:
        raise ValueError(
            f"{key}.IN_FEATURES {list(head_cfg.IN_FEATURES)} must name maps among {sorted(input_shape)} (the "
            "backbone's OUT_FEATURES: MODEL.RESNETS, MODEL.VGG, MODEL.TORCHVISION, MODEL.TIMM, ..., or the neck's)"
        )
    if getattr(cls, "reads_one_map", False) and len(head_cfg.IN_FEATURES) != 1:
        raise ValueError(f"{key}.NAME {head_cfg.NAME} reads one map: {key}.IN_FEATURES must have one name, "
                         f"got {list(head_cfg.IN_FEATURES)}")
    if hasattr(cls, "from_config"):
        return cls(**cls.from_config(cfg, head_cfg, input_shape))
    return cls(cfg, head_cfg, input_shape)

