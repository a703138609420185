"""Weight converters from transformers', the authors' (detectron2) and mmsegmentation's Mask2Former layouts."""
from . import d2, hf, mmseg

__all__ = ["d2", "hf", "mmseg"]
