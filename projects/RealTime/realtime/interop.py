"""The real-time networks in the core's registries: the zoo's names of their backbones, and the mmsegmentation
configs ``tools/benchmark.py --compare-mmseg`` builds for their recipes (each pairing names its backbone, since
the heads, FCNHead and PreActSegHead, are shared with other models; the other sizes by the backbone's name).
The importer cannot express their backbones, so their heads get no translators.
"""
from seg_engine.interop import BACKBONE_NAMES, register_mmseg_model

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


STDC_CHANNELS = [32, 64, 256, 512, 1024]


@BACKBONE_NAMES.register("build_stdc_backbone")
def stdc_name(cfg) -> str:
    s = cfg.MODEL.STDC
    name = {"STDCNet1": "STDC1", "STDCNet2": "STDC2"}.get(s.TYPE, s.TYPE)
    return name if list(s.CHANNELS) == STDC_CHANNELS else f"{name} (widths {', '.join(map(str, s.CHANNELS))})"


PIDNET = {f"PIDNet-{s}": f"pidnet/pidnet-{s.lower()}_2xb6-120k_1024x1024-cityscapes.py" for s in "SML"}
DDRNET = {"DDRNet-23-slim": "ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-1024x1024.py",
          "DDRNet-23": "ddrnet/ddrnet_23_in1k-pre_2xb6-120k_cityscapes-1024x1024.py"}
STDC = {f"STDC{n}": f"stdc/stdc{n}_4xb12-80k_cityscapes-512x1024.py" for n in "12"}
register_mmseg_model("mmseg_pidnet", "PreActSegHead", "", PIDNET["PIDNet-S"], backbone="build_pidnet_backbone",
                     sizes=PIDNET)
register_mmseg_model("mmseg_ddrnet", "PreActSegHead", "", DDRNET["DDRNet-23-slim"], backbone="build_ddrnet_backbone",
                     sizes=DDRNET)
register_mmseg_model("mmseg_bisenetv1", "FCNHead", "", "bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-1024x1024.py",
                     backbone="build_bisenetv1_backbone")
register_mmseg_model("mmseg_bisenetv2", "FCNHead", "", "bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py",
                     backbone="build_bisenetv2_backbone")
register_mmseg_model("mmseg_stdc", "FCNHead", "", STDC["STDC1"], backbone="build_stdc_backbone", sizes=STDC)
