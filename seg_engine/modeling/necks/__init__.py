"""Necks: modules between a backbone and its heads that take and return named feature maps."""
from .jpu import JPU
from .fpn import FPN, build_fpn

__all__ = ["JPU", "FPN", "build_fpn"]
