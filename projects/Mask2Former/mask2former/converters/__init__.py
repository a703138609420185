"""Weight converters from transformers', the authors' (detectron2) and mmsegmentation's Mask2Former layouts."""
from . import hf

__all__ = ["hf"]
