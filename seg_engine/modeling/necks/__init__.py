"""Necks: modules between a backbone and its heads that take and return named feature maps (NECK_REGISTRY)."""
from .build import build_neck
from .fpn import FPN
from .jpu import JPU, register_jpu_renames

__all__ = ["build_neck", "FPN", "JPU", "register_jpu_renames"]
