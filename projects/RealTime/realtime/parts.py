"""The adapter from this project's backbones (explicit-argument constructors plus ``from_config``) to
BACKBONE_REGISTRY, which builds a backbone as ``fn(cfg)``."""
from __future__ import annotations

from typing import Callable, Type

from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import BACKBONE_REGISTRY


def register_backbone(name: str, cls: Type[nn.Module]) -> Callable[[CfgNode], nn.Module]:
    """Register ``name`` in BACKBONE_REGISTRY, building ``cls(**cls.from_config(cfg))``; returns the builder."""

    def build(cfg: CfgNode) -> nn.Module:
        return cls(**cls.from_config(cfg))

    build.__name__ = build.__qualname__ = name
    build.__module__ = cls.__module__
    build.__doc__ = f"The {cls.__name__} backbone of ``cfg`` (``{cls.__name__}.from_config``)."
    BACKBONE_REGISTRY.register(build)
    return build
