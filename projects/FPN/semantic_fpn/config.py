"""MODEL.SEM_SEG_FPN: the keys the semantic FPN project adds to the config tree."""
from seg_engine.config import CfgNode, register_config


@register_config
def add_semantic_fpn_config(cfg: CfgNode) -> None:
    """The pyramid is MODEL.FPN (core); the head's width, norm and dropout are MODEL.HEAD's."""
    cfg.MODEL.SEM_SEG_FPN = CfgNode()
    # The pyramid levels the head reads, finest first; the finest one's stride is the common stride
    # every level is brought to (4 with p2, as detectron2's COMMON_STRIDE and mmsegmentation's).
    cfg.MODEL.SEM_SEG_FPN.IN_FEATURES = ["p2", "p3", "p4", "p5"]
