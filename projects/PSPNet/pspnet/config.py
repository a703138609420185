"""The config keys of PSPNet: the bins of the pyramid pooling module and its branch width (MODEL.PSP), and the
names that older configs used."""
from seg_engine.config import CfgNode, register_config, register_renamed_value
from seg_engine.modeling.necks import register_jpu_renames


@register_config
def add_pspnet_config(cfg: CfgNode) -> None:
    """Add ``MODEL.PSP``, read by the PPMHead; the rest of the head (CHANNELS, NORM, DROPOUT) is its head node's."""
    cfg.MODEL.PSP = CfgNode()
    # Output sizes of the adaptive average poolings (the paper's 1x1, 2x2, 3x3 and 6x6).
    cfg.MODEL.PSP.BINS = (1, 2, 3, 6)
    # Channels of each pooling branch; 0: the input's channels / len(BINS) as the authors
    # (2048 / 4 = 512 for ResNet-50/101), so narrow backbones get narrow branches.
    cfg.MODEL.PSP.REDUCTION_CHANNELS = 0


# PSPNet was a meta-architecture that only required MODEL.HEAD.NAME PPMHead; the recipes name the head themselves.
register_renamed_value("MODEL.META_ARCHITECTURE", "PSPNet", {"MODEL.META_ARCHITECTURE": "EncoderDecoder"},
                       "PSPNet is EncoderDecoder with MODEL.HEAD.NAME PPMHead")
register_jpu_renames("MODEL.PSP")
