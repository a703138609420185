"""The config keys of the FCN-32s/16s/8s nets (MODEL.FCN); their VGG-16 is MODEL.VGG."""
from seg_engine.config import CfgNode, register_config, register_renamed_value


@register_config
def add_fcn_config(cfg: CfgNode) -> None:
    """Add ``MODEL.FCN``, read by the FCNSkipHead."""
    cfg.MODEL.FCN = CfgNode()
    # Prediction stride: 32 (FCN-32s: fc7 only), 16 (+ pool4) or 8 (+ pool4 and pool3).
    cfg.MODEL.FCN.STRIDE = 8
    # Fixed factors on pool4 and pool3 before their score layers: 1.0 in the staged nets, 0.01 and
    # 0.0001 in the "at-once" FCN-8s (voc-fcn8s-atonce), which trains all three streams from VGG-16.
    cfg.MODEL.FCN.POOL4_SCALE = 1.0
    cfg.MODEL.FCN.POOL3_SCALE = 1.0
    # The 2x deconvolutions (upscore2, upscore_pool4) start bilinear and are fixed as in the authors'
    # reference code (lr_mult 0); True learns them as in the CVPR 2015 paper. The final 8x/16x/32x
    # upsampling is fixed bilinear either way.
    cfg.MODEL.FCN.LEARN_2X_UPSAMPLING = False


register_renamed_value("MODEL.META_ARCHITECTURE", "FCN", {"MODEL.META_ARCHITECTURE": "EncoderDecoder"},
                       "FCN-32s/16s/8s are EncoderDecoder with the VGG backbone and MODEL.HEAD.NAME FCNSkipHead")
