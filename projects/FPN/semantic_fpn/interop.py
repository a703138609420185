"""Semantic FPN in the core's registries of other toolboxes: mmsegmentation's FPNHead (on the core's FPN neck) and
the models --compare-mmseg pairs."""
from typing import Any, Dict, Set

from seg_engine.interop import MMSEG_HEADS, register_mmseg_model


@MMSEG_HEADS.register("FPNHead")
def fpn_head(translator, head: Dict[str, Any]) -> Set[int]:
    """mmseg's FPNHead: the SemSegFPNHead on the FPN's p2..p5 (feature_strides 4..32), norm and dropout as given."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + ("feature_strides",))
    strides = tuple(head.get("feature_strides", ()))
    if strides != (4, 8, 16, 32) or tuple(head.get("in_index", ())) != (0, 1, 2, 3):
        translator.bad("model.decode_head", {k: head.get(k) for k in ("feature_strides", "in_index")})
    translator.set("MODEL.HEAD.NAME", "SemSegFPNHead")
    translator.set("MODEL.HEAD.IN_FEATURES", [f"p{s.bit_length() - 1}" for s in strides])
    return set()


register_mmseg_model("mmseg_fpn", "SemSegFPNHead", "FPN", "_base_/models/fpn_r50.py")
