"""SegFormer in the core's registries: the zoo's names of the MiTs, mmsegmentation's SegformerHead for the config
importer, and the model --compare-mmseg pairs."""
from typing import Any, Dict, Set

from seg_engine.interop import BACKBONE_NAMES, MMSEG_HEADS, register_mmseg_model

MIT_DEPTHS = {(2, 2, 2, 2): ("B0", "B1"), (3, 4, 6, 3): ("B2",), (3, 4, 18, 3): ("B3",), (3, 8, 27, 3): ("B4",),
              (3, 6, 40, 3): ("B5",)}


@BACKBONE_NAMES.register("build_mit_backbone")
def mit_name(cfg) -> str:
    """The zoo's name of the MiT: MiT-B0 .. MiT-B5 by widths and depths, another one by both."""
    m = cfg.MODEL.MIT
    dims, depths = tuple(m.EMBED_DIMS), tuple(m.DEPTHS)
    names = MIT_DEPTHS.get(depths, ())
    if dims == (32, 64, 160, 256) and "B0" in names:
        return "MiT-B0"
    if dims == (64, 128, 320, 512) and names:
        return f"MiT-{names[-1]}"
    return f"MiT (widths {dims[0]}..{dims[-1]}, depths {', '.join(map(str, depths))})"


@MMSEG_HEADS.register("SegformerHead")
def segformer_head(translator, head: Dict[str, Any]) -> Set[int]:
    """mmseg's SegformerHead: SegFormerHead in mmsegmentation's form (a 1x1 conv-norm-ReLU per level, finest first),
    reading every level its ``in_index`` lists."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + ("interpolate_mode",))
    translator.expect("model.decode_head.interpolate_mode", head.get("interpolate_mode", "bilinear"), ("bilinear",))
    index = head.get("in_index", (0, 1, 2, 3))
    stages = [translator.stage("model.decode_head", i) for i in (index if isinstance(index, (list, tuple)) else [index])]
    translator.set("MODEL.HEAD.NAME", "SegFormerHead")
    translator.set("MODEL.HEAD.IN_FEATURES", [f"res{s + 2}" for s in stages])
    translator.set("MODEL.SEGFORMER.HEAD_FORM", "mmseg")
    translator.set("MODEL.SEGFORMER.CHANNEL_DROPOUT", True)
    return set(stages)


register_mmseg_model("mmseg_segformer", "SegFormerHead", "", "segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py")
