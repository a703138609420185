"""Necks: modules between a backbone and its heads that take and return named feature maps."""
from .jpu import JPU, JPU_FEATURES, add_jpu_config, build_jpu
from .fpn import FPN, build_fpn

__all__ = ["JPU", "JPU_FEATURES", "add_jpu_config", "build_jpu", "FPN", "build_fpn"]
