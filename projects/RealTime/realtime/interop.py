"""The real-time networks in the core's registries: the zoo's names of their backbones.

mmsegmentation's models are not paired for ``--compare-mmseg`` here: the pairing falls back on the decode head's
name, and these networks' heads (FCNHead, PreActSegHead) are shared with other models, so a pairing would claim
their recipes too; the importer cannot express their backbones either, so their heads get no translators.
"""
from seg_engine.interop import BACKBONE_NAMES

PIDNET_SIZES = {(32, 96, 2, 3): "S", (64, 96, 2, 3): "M", (64, 112, 3, 4): "L"}
DDRNET_SIZES = {(32, 128): "23-slim", (64, 128): "23"}


@BACKBONE_NAMES.register("build_pidnet_backbone")
def pidnet_name(cfg) -> str:
    p = cfg.MODEL.PIDNET
    size = PIDNET_SIZES.get((p.CHANNELS, p.PPM_CHANNELS, p.NUM_STEM_BLOCKS, p.NUM_BRANCH_BLOCKS))
    return f"PIDNet-{size}" if size else f"PIDNet (width {p.CHANNELS})"


@BACKBONE_NAMES.register("build_ddrnet_backbone")
def ddrnet_name(cfg) -> str:
    d = cfg.MODEL.DDRNET
    size = DDRNET_SIZES.get((d.CHANNELS, d.PPM_CHANNELS))
    return f"DDRNet-{size}" if size else f"DDRNet (width {d.CHANNELS})"


@BACKBONE_NAMES.register("build_bisenetv1_backbone")
def bisenetv1_name(cfg) -> str:
    return f"BiSeNetV1 (ResNet-{cfg.MODEL.RESNETS.DEPTH})"


@BACKBONE_NAMES.register("build_bisenetv2_backbone")
def bisenetv2_name(cfg) -> str:
    return "BiSeNetV2"


@BACKBONE_NAMES.register("build_stdc_backbone")
def stdc_name(cfg) -> str:
    return {"STDCNet1": "STDC1", "STDCNet2": "STDC2"}.get(cfg.MODEL.STDC.TYPE, cfg.MODEL.STDC.TYPE)
