"""The config keys of RefineNet and Light-Weight RefineNet (``MODEL.REFINENET``)."""
from seg_engine.config import CfgNode, register_config, register_renamed_key, register_renamed_value


@register_config
def add_refinenet_config(cfg: CfgNode) -> None:
    """Add ``MODEL.REFINENET``, read by the RefineNetHead; the maps it refines (coarsest first: RefineNet-4 reads
    res5, RefineNet-1 res2), its width and classifier dropout are its head node's IN_FEATURES, CHANNELS, DROPOUT."""
    cfg.MODEL.REFINENET = CfgNode()
    # Width of the first (coarsest) block; the others have MODEL.HEAD.CHANNELS (512 and 256 in the
    # authors' model; 0: MODEL.HEAD.CHANNELS too).
    cfg.MODEL.REFINENET.TOP_CHANNELS = 512
    # Kernel of the adaptation, fusion and pooling convs: 3 in RefineNet, 1 in Light-Weight RefineNet.
    cfg.MODEL.REFINENET.KERNEL_SIZE = 3
    # Residual conv units after each adaptation conv (2; Light-Weight: 0).
    cfg.MODEL.REFINENET.ADAPT_RCUS = 2
    # Pool-conv stages of each chained residual pooling (the released models: 4; the paper's Fig. 2: 2).
    cfg.MODEL.REFINENET.CRP_STAGES = 4
    # Residual conv units after each chained pooling (the released model: 3; the paper's Fig. 2: 1;
    # Light-Weight: 0).
    cfg.MODEL.REFINENET.OUTPUT_RCUS = 3
    # Element-wise dropout on the features named in DROPOUT_FEATURES, in training only (DrSleep's
    # models: 0.5 on layer4 and layer3 after the backbone has used them).
    cfg.MODEL.REFINENET.FEATURE_DROPOUT = 0.5
    cfg.MODEL.REFINENET.DROPOUT_FEATURES = ["res5", "res4"]


CASCADE = ["res5", "res4", "res3", "res2"]


def _refinenet(file):
    """RefineNet was EncoderDecoder whose head read MODEL.REFINENET.IN_FEATURES (default res5..res2)."""
    return {"MODEL.META_ARCHITECTURE": "EncoderDecoder",
            "MODEL.HEAD.IN_FEATURES": list(file.get("MODEL.REFINENET.IN_FEATURES", CASCADE))}


register_renamed_value("MODEL.META_ARCHITECTURE", "RefineNet", _refinenet,
                       "RefineNet is EncoderDecoder with MODEL.HEAD.NAME RefineNetHead")
register_renamed_key("MODEL.REFINENET.IN_FEATURES", lambda names, _: {"MODEL.HEAD.IN_FEATURES": list(names)},
                     "the head reads MODEL.HEAD.IN_FEATURES")
