"""The config keys of the real-time networks: one node per backbone, the auxiliary head nodes AUX_HEAD2..4,
and MODEL.REALTIME (the per-output resize of the auxiliary losses, the boundary and detail losses)."""
from typing import Optional

from seg_engine.config import CfgNode, head_node, register_check, register_config

# Auxiliary-head nodes beyond the core MODEL.AUX_HEAD, for MODEL.AUX_HEADS (BiSeNetV2 has four auxiliary heads).
EXTRA_AUX_HEAD_NODES = ("AUX_HEAD2", "AUX_HEAD3", "AUX_HEAD4")


@register_config
def add_realtime_config(cfg: CfgNode) -> None:
    """Add MODEL.REALTIME, MODEL.AUX_HEAD2..4 and the backbone nodes PIDNET, DDRNET, BISENETV1, BISENETV2, and STDC."""
    rt = cfg.MODEL.REALTIME = CfgNode()
    # RealTimeSegmentor: align_corners of each auxiliary output's resize to the targets in its loss, one per
    # MODEL.AUX_HEADS entry (mmseg's STDC: its FCN heads False while the decode head and the detail head are
    # True); empty: MODEL.ALIGN_CORNERS for all.
    rt.AUX_ALIGN_CORNERS = []
    # PIDNet's boundary-aware losses: edges of the (augmented) targets, dilated to EDGE_WIDTH pixels
    # (mmseg's GenerateEdge), train the boundary head; the decode head's loss (MODEL.LOSS) of the pixels where
    # the boundary head's sigmoid exceeds SEM_THRESHOLD is added with weight SEM_WEIGHT.
    rt.BOUNDARY = CfgNode()
    rt.BOUNDARY.EDGE_WIDTH = 4
    rt.BOUNDARY.SEM_THRESHOLD = 0.8
    rt.BOUNDARY.SEM_WEIGHT = 1.0
    # STDC's detail head: Laplacian edges of the targets at strides 1, 2, 4, fused and thresholded.
    rt.DETAIL = CfgNode()
    rt.DETAIL.THRESHOLD = 0.1

    for node in EXTRA_AUX_HEAD_NODES:
        # CfgNode(...): head_node gives fvcore's class, which a merge into get_cfg()'s tree refuses.
        setattr(cfg.MODEL, node, CfgNode(head_node(IN_FEATURES=[], CHANNELS=64, LOSS_WEIGHT=1.0)))

    # PIDNet (backbone "build_pidnet_backbone"); S: 32, 96, 2, 3; M: 64, 96, 2, 3; L: 64, 112, 3, 4.
    p = cfg.MODEL.PIDNET = CfgNode()
    p.CHANNELS = 32
    p.PPM_CHANNELS = 96
    # 2: PAPPM and the light Bag (S, M); 3: DAPPM and Bag (L).
    p.NUM_STEM_BLOCKS = 2
    p.NUM_BRANCH_BLOCKS = 3
    p.NORM = "BN"
    # align_corners of the resizes inside the network (False in both references).
    p.ALIGN_CORNERS = False
    # Bias of the stem's two strided convs: True in the authors' code (XuJiacong/PIDNet), False in mmseg's.
    p.STEM_BIAS = False

    # DDRNet (backbone "build_ddrnet_backbone"); 23-slim: 32, 128; 23: 64, 128.
    d = cfg.MODEL.DDRNET = CfgNode()
    d.CHANNELS = 32
    d.PPM_CHANNELS = 128
    d.NORM = "BN"
    d.ALIGN_CORNERS = False

    # BiSeNetV1 (backbone "build_bisenetv1_backbone"): the context path's ResNet is MODEL.RESNETS
    # (mmseg: depth 18, basic stem, output stride 32).
    b1 = cfg.MODEL.BISENETV1 = CfgNode()
    b1.SPATIAL_CHANNELS = [64, 64, 64, 128]
    # The context path's width (ARMs and their heads) is the first entry.
    b1.CONTEXT_CHANNELS = 128
    b1.OUT_CHANNELS = 256
    b1.NORM = "BN"
    # The FFM's channel attention: conv-BN-ReLU-sigmoid (mmseg, True) or conv-BN-sigmoid (CoinCheung/BiSeNet, False).
    b1.FFM_ATTENTION_ACT = True

    # BiSeNetV2 (backbone "build_bisenetv2_backbone").
    b2 = cfg.MODEL.BISENETV2 = CfgNode()
    b2.DETAIL_CHANNELS = [64, 64, 128]
    b2.SEMANTIC_CHANNELS = [16, 32, 64, 128]
    b2.EXPANSION_RATIO = 6
    b2.BGA_CHANNELS = 128
    b2.NORM = "BN"
    b2.ALIGN_CORNERS = False
    # How the guided aggregation enlarges its semantic maps: "bilinear" (mmseg: resized to the detail map's
    # size) or "nearest" (CoinCheung/BiSeNet: nn.Upsample(scale_factor=4)).
    b2.BGA_UPSAMPLE = "bilinear"
    # Bias of the pointwise convs of the aggregation's depthwise-separable convs (mmseg True, CoinCheung False).
    b2.BGA_POINTWISE_BIAS = True

    # STDC (backbone "build_stdc_backbone"): STDCNet1 or STDCNet2 with the ARM context path and the FFM.
    s = cfg.MODEL.STDC = CfgNode()
    s.TYPE = "STDCNet1"
    s.CHANNELS = [32, 64, 256, 512, 1024]
    # "cat" (the paper, mmseg's recipes) or "add".
    s.BOTTLENECK = "cat"
    s.NUM_CONVS = 4
    s.CONTEXT_CHANNELS = 128
    s.FUSION_CHANNELS = 256
    s.NORM = "BN"


def read_by_the_meta_architecture(value, cfg: CfgNode) -> Optional[str]:
    """MODEL.REALTIME.AUX_ALIGN_CORNERS is read by RealTimeSegmentor (and PIDNetSegmentor) alone: another
    meta-architecture would train its auxiliary heads without it, silently."""
    from seg_engine.modeling import META_ARCH_REGISTRY

    from .realtime_segmentor import RealTimeSegmentor

    name = cfg.MODEL.META_ARCHITECTURE
    if not value or (name in META_ARCH_REGISTRY and issubclass(META_ARCH_REGISTRY.get(name), RealTimeSegmentor)):
        return None
    return f"empty with MODEL.META_ARCHITECTURE {name!r} (only RealTimeSegmentor and PIDNetSegmentor read it)"


register_check("MODEL.REALTIME.AUX_ALIGN_CORNERS", read_by_the_meta_architecture)
