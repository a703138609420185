"""seg_engine: a detectron2-style semantic segmentation toolbox."""

__version__ = "0.1.0"
