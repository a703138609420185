"""The authors' trained UPerNets: SwinTransformer/Swin-Transformer-Semantic-Segmentation (e.g.
``upernet_swin_tiny_patch4_window7_512x512.pth``) and facebookresearch/ConvNeXt's semantic_segmentation
(``upernet_convnext_tiny_1k_512x512.pth``), both mmsegmentation-0.x forks, to EncoderDecoder + UPerHead + FCNHead.

Their keys: the backbones in the authors' layout (ours, plus Swin's ``relative_position_index`` buffers) and
mmsegmentation 0.x's heads, named as 1.x's (``decode_head.psp_modules``/``conv_seg``, ``auxiliary_head``).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .layouts import CONVNEXT_AUTHORS, HEAD_MMSEG, SWIN_AUTHORS, SWIN_DERIVED, split_by_prefix


@WEIGHT_CONVERTERS.register()
def authors_upernet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the ``*_mmseg`` Swin and ConvNeXt recipes (the same networks)."""
    backbone, heads = split_by_prefix(state_dict)
    return {**rename_keys(backbone, SWIN_AUTHORS + CONVNEXT_AUTHORS, SWIN_DERIVED), **rename_keys(heads, HEAD_MMSEG)}
