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


@BACKBONE_NAMES.register("build_stdc_backbone")
def stdc_name(cfg) -> str:
    return {"STDCNet1": "STDC1", "STDCNet2": "STDC2"}.get(cfg.MODEL.STDC.TYPE, cfg.MODEL.STDC.TYPE)


register_mmseg_model("mmseg_pidnet", "PreActSegHead", "", "pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py",
                     backbone="build_pidnet_backbone",
                     sizes={"PIDNet-M": "pidnet/pidnet-m_2xb6-120k_1024x1024-cityscapes.py",
                            "PIDNet-L": "pidnet/pidnet-l_2xb6-120k_1024x1024-cityscapes.py"})
register_mmseg_model("mmseg_ddrnet", "PreActSegHead", "", "ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-1024x1024.py",
                     backbone="build_ddrnet_backbone",
                     sizes={"DDRNet-23": "ddrnet/ddrnet_23_in1k-pre_2xb6-120k_cityscapes-1024x1024.py"})
register_mmseg_model("mmseg_bisenetv1", "FCNHead", "", "bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-1024x1024.py",
                     backbone="build_bisenetv1_backbone")
register_mmseg_model("mmseg_bisenetv2", "FCNHead", "", "bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py",
                     backbone="build_bisenetv2_backbone")
register_mmseg_model("mmseg_stdc", "FCNHead", "", "stdc/stdc1_4xb12-80k_cityscapes-512x1024.py",
                     backbone="build_stdc_backbone", sizes={"STDC2": "stdc/stdc2_4xb12-80k_cityscapes-512x1024.py"})
