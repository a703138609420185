"""mmsegmentation's DDRNet-23-slim / DDRNet-23 checkpoints (``ddrnet_23{-slim,}_in1k-pre_2xb6-120k_*``) and
their ImageNet backbones (``ddrnet23{s,}-in1kpre_3rdparty-*.pth``, backbone keys only) to RealTimeSegmentor.

DDRHead's ``head``/``conv_seg`` is the decode head, ``aux_head``/``aux_cls_seg`` AUX_HEAD.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .mmseg_layout import CONV_MODULE, as_segmentor, preact

RULES = preact(r"(backbone\.spp\..*)", r"\1")
for theirs, classifier, ours in (("head", "conv_seg", "decode_head"), ("aux_head", "aux_cls_seg", "aux_head")):
    RULES += preact(rf"decode_head\.{theirs}\.0", f"{ours}.conv")
    RULES += [(rf"decode_head\.{theirs}\.1\.", f"{ours}.norm."), (rf"decode_head\.{classifier}\.", f"{ours}.classifier.")]
# The residual layers' shortcuts are plain Sequential(conv, BN) there too.
RULES += [(r"(backbone\..*\.downsample\.[01]\.)", r"\1")] + CONV_MODULE


@WEIGHT_CONVERTERS.register()
def mmseg_ddrnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-DDRNet-mmseg.yaml (MODEL.DDRNET.CHANNELS 32 or 64 as the checkpoint)."""
    return rename_keys(as_segmentor(state_dict), RULES)
