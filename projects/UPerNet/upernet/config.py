"""MODEL.UPERNET: the keys of the UPerNet head that a head node does not have."""
from seg_engine.config import CfgNode, register_config


@register_config
def add_upernet_config(cfg: CfgNode) -> None:
    """The head's maps, width, norm and dropout are its head node's (MODEL.HEAD: IN_FEATURES finest first, the
    last feeding the pyramid pooling and the others the FPN's lateral convs, as mmsegmentation's in_index 0..3;
    CHANNELS 512, BN, 0.1 in mmsegmentation)."""
    cfg.MODEL.UPERNET = CfgNode()
    # Output sizes of the pyramid pooling's adaptive average poolings.
    cfg.MODEL.UPERNET.POOL_SCALES = (1, 2, 3, 6)
    # A LayerNorm (eps 1e-6) over the channels of every input map before the head (smp's feature_norms).
    cfg.MODEL.UPERNET.INPUT_NORM = False
    # align_corners of the head's own bilinear resizes; None: MODEL.ALIGN_CORNERS. smp resizes inside the
    # head with False and up-samples the logits x4 with True (MODEL.ALIGN_CORNERS True).
    cfg.MODEL.UPERNET.ALIGN_CORNERS = None
