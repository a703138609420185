"""The config keys of PSPNet: the bins of the pyramid pooling module and its branch width."""
from seg_engine.config import CfgNode, register_config
from seg_engine.modeling.necks import add_jpu_config


@register_config
def add_pspnet_config(cfg: CfgNode) -> None:
    """Add ``MODEL.PSP``; the rest of the head (CHANNELS, NORM, DROPOUT) is read from MODEL.HEAD."""
    cfg.MODEL.PSP = CfgNode()
    # Output sizes of the adaptive average poolings (the paper's 1x1, 2x2, 3x3 and 6x6).
    cfg.MODEL.PSP.BINS = (1, 2, 3, 6)
    # Channels of each pooling branch; 0: the input's channels / len(BINS) as the authors
    # (2048 / 4 = 512 for ResNet-50/101), so narrow backbones get narrow branches.
    cfg.MODEL.PSP.REDUCTION_CHANNELS = 0
    # FastFCN's JPU neck (USE_JPU, JPU_WIDTH, JPU_DILATIONS): the PPM head and the auxiliary head read its outputs.
    add_jpu_config(cfg.MODEL.PSP)
