"""mmsegmentation's PIDNet-S/M/L checkpoints (``pidnet-{s,m,l}_2xb6-120k_1024x1024-cityscapes``) and their
ImageNet backbones (``pidnet-{s,m,l}_imagenet1k_*.pth``, backbone keys only) to PIDNetSegmentor.

PIDHead's ``i_head``/``conv_seg`` is the decode head, ``p_head``/``p_cls_seg`` AUX_HEAD and
``d_head``/``d_cls_seg`` AUX_HEAD2 (the BoundaryHead); the backbone's modules keep their names.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .mmseg_layout import CONV_MODULE, as_segmentor, preact

HEADS = (("i_head", "conv_seg", "decode_head"), ("p_head", "p_cls_seg", "aux_head"), ("d_head", "d_cls_seg", "aux_head2"))

RULES = preact(r"(backbone\.spp\..*)", r"\1") + preact(r"backbone\.dfm\.conv", "backbone.dfm.conv")
for theirs, classifier, ours in HEADS:
    RULES += preact(rf"decode_head\.{theirs}\.conv", f"{ours}.conv")
    RULES += [(rf"decode_head\.{theirs}\.norm\.", f"{ours}.norm."), (rf"decode_head\.{classifier}\.", f"{ours}.classifier.")]
RULES += CONV_MODULE


@WEIGHT_CONVERTERS.register()
def mmseg_pidnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-PIDNet-mmseg.yaml (MODEL.PIDNET sized S, M or L as the checkpoint)."""
    return rename_keys(as_segmentor(state_dict), RULES)
