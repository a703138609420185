"""The U-Nets in the core's registries: the zoo's name of the paper's encoder, and the model --compare-mmseg pairs."""
from seg_engine.interop import BACKBONE_NAMES, register_mmseg_model


@BACKBONE_NAMES.register("build_unet_encoder")
def unet_encoder_name(cfg) -> str:
    widths = list(cfg.MODEL.UNET_ENCODER.WIDTHS)
    return f"U-Net encoder ({widths[0]}..{widths[-1]})"


register_mmseg_model("mmseg_unet", "FCNHead", "UNetDecoder", "_base_/models/fcn_unet_s5-d16.py")
