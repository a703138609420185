"""SegFormer (Xie et al., "SegFormer: Simple and Efficient Design for Semantic Segmentation with
Transformers", NeurIPS 2021) as parts of the EncoderDecoder.

Importing registers the ``build_mit_backbone`` backbone (the Mix Transformer, MODEL.MIT), the
``SegFormerHead`` head (MODEL.SEGFORMER), and the weight converters of transformers', mmsegmentation's,
the authors' and smp's checkpoints.
"""
from . import converters, interop
from .config import add_segformer_config
from .mix_transformer import MixVisionTransformer, build_mit_backbone
from .segformer_head import SegFormerHead

__all__ = [
    "MixVisionTransformer",
    "SegFormerHead",
    "add_segformer_config",
    "build_mit_backbone",
    "converters",
    "interop",
]
