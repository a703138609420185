"""Adapters from this project's parts (explicit-argument constructors plus ``from_config``) to today's
registries, which build a head as ``cls(cfg, head_cfg, input_shape)`` and a backbone as ``fn(cfg)``.

When the core builds parts from ``from_config`` itself, these adapters go and the classes stay as they are.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Type, TypeVar

from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import BACKBONE_REGISTRY, HEAD_REGISTRY, ShapeSpec

T = TypeVar("T", bound=Type[nn.Module])


def in_features(head_cfg: CfgNode) -> List[str]:
    """The features a head node names: IN_FEATURES (the coming head nodes), else today's IN_FEATURE."""
    if "IN_FEATURES" in head_cfg:
        return list(head_cfg.IN_FEATURES)
    return [head_cfg.IN_FEATURE]


def register_head(cls: T) -> T:
    """Register ``cls`` in HEAD_REGISTRY under its own name, built as ``cls(**cls.from_config(cfg, head_cfg, shapes))``."""

    def build(cfg: CfgNode, head_cfg: CfgNode, input_shape: Dict[str, ShapeSpec]) -> nn.Module:
        return cls(**cls.from_config(cfg, head_cfg, input_shape))

    build.__name__ = build.__qualname__ = cls.__name__
    build.__module__, build.__doc__ = cls.__module__, cls.__doc__
    HEAD_REGISTRY.register(build)
    return cls


def register_backbone(name: str, cls: Type[nn.Module]) -> Callable[[CfgNode], nn.Module]:
    """Register ``name`` in BACKBONE_REGISTRY, building ``cls(**cls.from_config(cfg))``; returns the builder."""

    def build(cfg: CfgNode) -> nn.Module:
        return cls(**cls.from_config(cfg))

    build.__name__ = build.__qualname__ = name
    build.__module__ = cls.__module__
    build.__doc__ = f"The {cls.__name__} backbone of ``cfg`` (``{cls.__name__}.from_config``)."
    BACKBONE_REGISTRY.register(build)
    return build
