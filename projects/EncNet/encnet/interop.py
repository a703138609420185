"""EncNet in the core's registries of other toolboxes: mmsegmentation's EncHead and the models --compare-mmseg pairs."""
from typing import Any, Dict, Set

from seg_engine.interop import MMSEG_HEADS, register_mmseg_model


@MMSEG_HEADS.register("EncHead")
def enc_head(translator, head: Dict[str, Any]) -> Set[int]:
    """mmseg's EncHead: EncNet with Dropout2d and a 3x3 first conv (also on the JPU); lateral reads res3, res4."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + (
        "num_codes", "use_se_loss", "add_lateral", "loss_se_decode"))
    translator.set("MODEL.META_ARCHITECTURE", "EncNet")
    translator.set("MODEL.HEAD.NAME", "EncHead")
    translator.set("MODEL.ENCNET.NUM_CODES", head.get("num_codes", 32))
    se = head.get("loss_se_decode", {"type": "CrossEntropyLoss", "use_sigmoid": True, "loss_weight": 0.2})
    translator.set("MODEL.ENCNET.SE_LOSS", bool(head.get("use_se_loss", True)))
    translator.set("MODEL.ENCNET.SE_LOSS_WEIGHT", float(se.get("loss_weight", 0.2)))
    translator.set("MODEL.ENCNET.LATERAL", bool(head.get("add_lateral", False)))
    translator.set("MODEL.ENCNET.DROPOUT_2D", True)
    if translator.cfg["model"].get("neck"):  # without a neck the automatic kernel (0) is already 3x3
        translator.set("MODEL.ENCNET.BOTTLENECK_KERNEL", 3)
    return {1, 2} if head.get("add_lateral") else set()


register_mmseg_model("mmseg_encnet", "EncHead", "", "_base_/models/encnet_r50-d8.py")
register_mmseg_model("mmseg_fastfcn", "EncHead", "JPU", "fastfcn/fastfcn_r50-d32_jpu_enc_4xb4-80k_ade20k-512x512.py")
