"""PSPNet in the core's registries of other toolboxes: mmsegmentation's PSPHead and the models --compare-mmseg pairs."""
from typing import Any, Dict, Set

from seg_engine.interop import MMSEG_HEADS, register_mmseg_model


@MMSEG_HEADS.register("PSPHead")
def psp_head(translator, head: Dict[str, Any]) -> Set[int]:
    """mmseg's PSPHead: the PPMHead, its branches as wide as the head (``channels``)."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + ("pool_scales",))
    translator.set("MODEL.HEAD.NAME", "PPMHead")
    translator.set("MODEL.PSP.BINS", tuple(head.get("pool_scales", (1, 2, 3, 6))))
    translator.set("MODEL.PSP.REDUCTION_CHANNELS", head.get("channels"))
    return set()


register_mmseg_model("mmseg_pspnet", "PPMHead", "", "_base_/models/pspnet_r50-d8.py")
register_mmseg_model("mmseg_fastfcn_psp", "PPMHead", "JPU", "_base_/models/fastfcn_r50-d32_jpu_psp.py")
