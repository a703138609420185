"""Mask2Former (Cheng et al., CVPR 2022) for semantic segmentation as a seg_engine project.

Importing registers the ``Mask2Former`` meta-architecture, the ``MSDeformAttnPixelDecoder`` neck, the
``MaskedAttentionHead`` head, the ``MODEL.PIXEL_DECODER`` and ``MODEL.MASK_FORMER`` config keys and the weight
layouts ``d2_mask2former(_swin)``, ``hf_mask2former(_swin)`` and ``mmseg_mask2former`` and its --compare-mmseg
pairing (interop.py), and their parity references (parity.py).
"""
from . import converters, interop, parity
from .config import add_mask2former_config
from .criterion import SetCriterion
from .mask2former import Mask2Former, semantic_scores
from .matcher import HungarianMatcher
from .ms_deform_attn import MSDeformAttn, ms_deform_attn_pytorch
from .pixel_decoder import MSDeformAttnPixelDecoder
from .transformer_decoder import MaskedAttentionHead

__all__ = [
    "HungarianMatcher",
    "MSDeformAttn",
    "MSDeformAttnPixelDecoder",
    "Mask2Former",
    "MaskedAttentionHead",
    "SetCriterion",
    "add_mask2former_config",
    "converters",
    "ms_deform_attn_pytorch",
    "semantic_scores",
]
