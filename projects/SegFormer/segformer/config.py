"""The config keys of SegFormer: MODEL.MIT (the Mix Transformer backbone) and MODEL.SEGFORMER (its head)."""
from seg_engine.config import CfgNode, register_config
from seg_engine.config.validation import one_of, register_check

HEAD_FORMS = ("nvlabs", "mmseg")


@register_config
def add_segformer_config(cfg: CfgNode) -> None:
    """Add MODEL.MIT and MODEL.SEGFORMER; the head's levels, width, norm and dropout rate are MODEL.HEAD's."""
    cfg.MODEL.MIT = CfgNode()
    # Per stage (four): widths and blocks. MiT-B0: (32, 64, 160, 256), (2, 2, 2, 2); B1..B5 have widths
    # (64, 128, 320, 512) and depths B1 (2, 2, 2, 2), B2 (3, 4, 6, 3), B3 (3, 4, 18, 3), B4 (3, 8, 27, 3),
    # B5 (3, 6, 40, 3).
    cfg.MODEL.MIT.EMBED_DIMS = [32, 64, 160, 256]
    cfg.MODEL.MIT.DEPTHS = [2, 2, 2, 2]
    cfg.MODEL.MIT.NUM_HEADS = [1, 2, 5, 8]
    # Spatial reduction of keys and values: a sr x sr conv of stride sr, then LayerNorm (1: none).
    cfg.MODEL.MIT.SR_RATIOS = [8, 4, 2, 1]
    # Hidden width of the Mix-FFN over the stage's width.
    cfg.MODEL.MIT.MLP_RATIOS = [4, 4, 4, 4]
    # Overlapping patch embeddings: kernel and stride per stage (padding kernel // 2).
    cfg.MODEL.MIT.PATCH_SIZES = [7, 3, 3, 3]
    cfg.MODEL.MIT.STRIDES = [4, 2, 2, 2]
    cfg.MODEL.MIT.QKV_BIAS = True
    # Stochastic depth rising linearly from 0 to this over all blocks (every reference: 0.1 in training),
    # dropout after the attention and FFN projections, and on the attention weights (every reference: 0).
    cfg.MODEL.MIT.DROP_PATH_RATE = 0.1
    cfg.MODEL.MIT.DROP_RATE = 0.0
    cfg.MODEL.MIT.ATTN_DROP_RATE = 0.0
    # LayerNorm epsilons, where the references differ: the blocks' two norms and each stage's closing
    # norm (NVlabs, smp: 1e-6; mmsegmentation: 1e-6; transformers: 1e-5), and the patch embeddings' and
    # the spatial reductions' norms (NVlabs, smp: 1e-5; mmsegmentation: 1e-6; transformers: 1e-5).
    cfg.MODEL.MIT.NORM_EPS = 1e-6
    cfg.MODEL.MIT.EMBED_NORM_EPS = 1e-5
    # Stages' outputs by stride: res2 (4), res3 (8), res4 (16), res5 (32).
    cfg.MODEL.MIT.OUT_FEATURES = ["res2", "res3", "res4", "res5"]

    # The all-MLP head (SegFormerHead) reads the levels MODEL.HEAD.IN_FEATURES lists, finest first, and brings
    # each to the finest one's size.
    cfg.MODEL.SEGFORMER = CfgNode()
    # "nvlabs": the authors' head (also transformers' and smp's): a Linear per level, concatenated
    # deepest level first. "mmseg": mmsegmentation's reimplementation: a 1x1 conv with norm and ReLU
    # per level, concatenated finest level first. Both then fuse with a 1x1 conv-norm-ReLU.
    cfg.MODEL.SEGFORMER.HEAD_FORM = "nvlabs"
    # Dropout before the classifier drops whole channels (Dropout2d: NVlabs, mmsegmentation) or single
    # values (nn.Dropout: transformers). The rate is MODEL.HEAD.DROPOUT (0 in smp).
    cfg.MODEL.SEGFORMER.CHANNEL_DROPOUT = True


register_check("MODEL.SEGFORMER.HEAD_FORM", one_of(*HEAD_FORMS))
