"""build_model / build_backbone: the model a config names, on the config's device."""
from __future__ import annotations

import logging

import torch
from torch import nn

from .backbone.backbone import Backbone
from .registry import BACKBONE_REGISTRY, META_ARCH_REGISTRY
from .speed import apply_speed_options


def resolve_device(name: str) -> torch.device:
    """MODEL.DEVICE: "auto" is cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_backbone(cfg) -> Backbone:
    backbone = BACKBONE_REGISTRY.get(cfg.MODEL.BACKBONE.NAME)(cfg)
    if not isinstance(backbone, Backbone):
        raise TypeError(f"{cfg.MODEL.BACKBONE.NAME} returned {type(backbone)}, not a Backbone")
    return backbone


def build_model(cfg) -> nn.Module:
    """``META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)(cfg)`` moved to MODEL.DEVICE, with the speed
    options MODEL.CHANNELS_LAST and MODEL.COMPILE applied."""
    model = META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)(cfg)
    model.to(resolve_device(cfg.MODEL.DEVICE))
    apply_speed_options(model, cfg)
    n_params = sum(p.numel() for p in model.parameters())
    logging.getLogger(__name__).info(f"Model {cfg.MODEL.META_ARCHITECTURE}: {n_params:,} parameters")
    return model
