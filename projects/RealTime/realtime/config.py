"""The config keys of the real-time networks: one node per backbone, the extra auxiliary heads, and
MODEL.REALTIME (the list of auxiliary heads, OHEM, the boundary and detail losses)."""
from seg_engine.config import CfgNode, register_config

# Auxiliary-head nodes beyond the core MODEL.AUX_HEAD, shaped as the coming MODEL.AUX_HEADS entries.
EXTRA_AUX_HEAD_NODES = ("AUX_HEAD2", "AUX_HEAD3", "AUX_HEAD4")


def _head_node() -> CfgNode:
    node = CfgNode()
    # A head of HEAD_REGISTRY: the core FCNHead, or this project's PreActSegHead, BoundaryHead, DetailHead.
    node.NAME = "FCNHead"
    # Backbone features the head reads (one for every head of this project).
    node.IN_FEATURES = []
    node.CHANNELS = 64
    node.NUM_CONVS = 1
    node.CONCAT_INPUT = False
    node.NORM = "BN"
    node.DROPOUT = 0.1
    node.LOSS_WEIGHT = 1.0
    return node


@register_config
def add_realtime_config(cfg: CfgNode) -> None:
    """Add MODEL.REALTIME, MODEL.AUX_HEAD2..4 and the backbone nodes PIDNET, DDRNET, BISENETV1, BISENETV2, STDC and LRASPP."""
    rt = cfg.MODEL.REALTIME = CfgNode()
    # The auxiliary heads, by config node: "AUX_HEAD" (the core node; MODEL.AUX_HEAD.ENABLED must then be
    # True) and AUX_HEAD2..4. Node AUX_HEAD<k> is module aux_head<k> and output/loss aux<k>; they run in
    # training only.
    rt.AUX_HEADS = []
    # align_corners of each auxiliary output's resize to the targets in the loss, one per AUX_HEADS entry
    # (mmseg's STDC: its FCN heads False while the decode head and the detail head are True); empty:
    # MODEL.ALIGN_CORNERS for all.
    rt.AUX_ALIGN_CORNERS = []
    # Online hard example mining of the cross-entropy of the outputs named in OUTPUTS:
    #   "": off;
    #   "sampler": mmsegmentation's OHEMPixelSampler: a pixel counts when its probability of the true class is
    #     below max(THRESH, the (MIN_KEPT x batch)-th smallest), else weighs 0; the sum is then averaged as
    #     MODEL.LOSS.AVERAGE says (mmseg: over every pixel, "all") (BiSeNetV2-OHEM, STDC);
    #   "loss": PIDNet's OhemCrossEntropy (also mmseg's): the mean of the class-weighted losses of the pixels
    #     below max(THRESH, the MIN_KEPT-th smallest probability of the batch) (PIDNet, DDRNet).
    rt.OHEM = CfgNode()
    rt.OHEM.MODE = ""
    rt.OHEM.THRESH = 0.7
    rt.OHEM.MIN_KEPT = 100000
    rt.OHEM.OUTPUTS = ["sem_seg"]
    # PIDNet's boundary-aware losses: edges of the (augmented) targets, dilated to EDGE_WIDTH pixels
    # (mmseg's GenerateEdge), train the boundary head; the semantic loss of the pixels where the boundary
    # head's sigmoid exceeds SEM_THRESHOLD is added with weight SEM_WEIGHT.
    rt.BOUNDARY = CfgNode()
    rt.BOUNDARY.EDGE_WIDTH = 4
    rt.BOUNDARY.SEM_THRESHOLD = 0.8
    rt.BOUNDARY.SEM_WEIGHT = 1.0
    # STDC's detail head: Laplacian edges of the targets at strides 1, 2, 4, fused and thresholded.
    rt.DETAIL = CfgNode()
    rt.DETAIL.THRESHOLD = 0.1

    for node in EXTRA_AUX_HEAD_NODES:
        setattr(cfg.MODEL, node, _head_node())

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

    # The LR-ASPP head (head "LRASPPHead" on MODEL.HEAD's feature, the high-level map): its low-level map.
    cfg.MODEL.LRASPP = CfgNode()
    cfg.MODEL.LRASPP.LOW_FEATURE = "res3"
