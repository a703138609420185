"""segmentation_models_pytorch's ``Segformer`` (0.4+) with its ``mit_b*`` encoder.

The encoder is the authors' MiT under ``encoder.``; the decoder's ``mlp_stage.<k>.linear`` embeds level
3 - k (smp lists the levels deepest first), ``fuse_stage`` is the 1x1 conv (0) and BN (1), and
``segmentation_head.0`` the classifier, whose x4 up-sampling is bilinear with align_corners=True.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .nvlabs import mit_rules

RULES = mit_rules("encoder.") + [
    *((rf"decoder\.mlp_stage\.{k}\.linear\.", f"decode_head.embeds.{3 - k}.") for k in range(4)),
    (r"decoder\.fuse_stage\.0\.", "decode_head.fuse.0."),
    (r"decoder\.fuse_stage\.1\.", "decode_head.fuse.1."),
    (r"segmentation_head\.0\.", "decode_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def smp_segformer(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """smp's ``Segformer("mit_b<k>")`` (e.g. ``smp-hub/segformer-b0-512x512-ade-160k``) for the ``_smp``
    recipe: the authors' head (HEAD_FORM "nvlabs") with MODEL.ALIGN_CORNERS True and no dropout."""
    return rename_keys(state_dict, RULES)
