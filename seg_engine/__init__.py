"""seg_engine: a detectron2-style semantic segmentation toolbox."""

__version__ = "0.1.0"

from .api import SegModel  # noqa: E402  (the three-line API: from seg_engine import SegModel)

__all__ = ["SegModel"]
