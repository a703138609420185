"""Necks: modules between a backbone and its heads that take and return named feature maps."""
from .jpu import JPU

__all__ = ["JPU"]
