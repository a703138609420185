"""UPerNet in the core's registries of other toolboxes: mmsegmentation's UPerHead for the config importer, and the
models --compare-mmseg pairs with each of the mmsegmentation layouts."""
from typing import Any, Dict, Set

from seg_engine.interop import MMSEG_HEADS, register_mmseg_model


@MMSEG_HEADS.register("UPerHead")
def uper_head(translator, head: Dict[str, Any]) -> Set[int]:
    """mmseg's UPerHead: UPerNetHead on every level its ``in_index`` lists (finest first), its pooling scales."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + ("pool_scales",))
    index = head.get("in_index", (0, 1, 2, 3))
    stages = [translator.stage("model.decode_head", i) for i in (index if isinstance(index, (list, tuple)) else [index])]
    if len(stages) < 2 or stages != sorted(stages):
        translator.bad("model.decode_head.in_index", index)
    translator.set("MODEL.HEAD.NAME", "UPerNetHead")
    translator.set("MODEL.HEAD.IN_FEATURES", [f"res{s + 2}" for s in stages])
    translator.set("MODEL.UPERNET.POOL_SCALES", tuple(head.get("pool_scales", (1, 2, 3, 6))))
    return set(stages)


register_mmseg_model("mmseg_upernet", "UPerNetHead", "", "upernet/upernet_r50_4xb4-80k_ade20k-512x512.py")
register_mmseg_model("mmseg_upernet_swin", "UPerNetHead", "",
                     "swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py")
register_mmseg_model("mmseg_upernet_convnext", "UPerNetHead", "",
                     "convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py")
