"""The config keys of Mask2Former: the pixel decoder (MODEL.PIXEL_DECODER) and the masked-attention
transformer decoder with its set-prediction loss (MODEL.MASK_FORMER)."""
from seg_engine.config import CfgNode, register_config


@register_config
def add_mask2former_config(cfg: CfgNode) -> None:
    """Defaults are the authors' (facebookresearch/Mask2Former, semantic segmentation recipes)."""
    pd = cfg.MODEL.PIXEL_DECODER = CfgNode()
    # The backbone maps the decoder reads, shallowest first; the deformable encoder reads the last three
    # (strides 8/16/32) and the shallower ones join through the FPN-style lateral/output convs.
    pd.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    pd.TRANSFORMER_IN_FEATURES = ["res3", "res4", "res5"]
    pd.CONV_DIM = 256
    pd.MASK_DIM = 256
    pd.NORM = "GN"
    pd.NUM_HEADS = 8
    pd.NUM_POINTS = 4
    pd.ENCODER_LAYERS = 6
    # 1024 in all references (the authors hard-code it for the deformable encoder).
    pd.ENCODER_FEEDFORWARD = 1024
    pd.DROPOUT = 0.0
    # The stride of the mask features.
    pd.COMMON_STRIDE = 4
    # The multi-scale deformable attention kernel: "auto" (a fused CUDA kernel when one is importable and
    # the tensors are on CUDA, else grid_sample), "pytorch" (always grid_sample) or "fused" (error if absent).
    pd.ATTENTION_IMPL = "auto"

    mf = cfg.MODEL.MASK_FORMER = CfgNode()
    mf.NUM_QUERIES = 100
    mf.HIDDEN_DIM = 256
    mf.NHEADS = 8
    mf.DIM_FEEDFORWARD = 2048
    # Masked-attention layers; the authors' DEC_LAYERS (10) counts the prediction before the first layer too.
    mf.DEC_LAYERS = 9
    mf.PRE_NORM = False
    # A 1x1 projection of each scale even when its channels already equal HIDDEN_DIM.
    mf.ENFORCE_INPUT_PROJ = False
    mf.DROPOUT = 0.0
    # Training: one loss per decoder output (the first prediction and every layer) when DEEP_SUPERVISION.
    mf.DEEP_SUPERVISION = True
    mf.NO_OBJECT_WEIGHT = 0.1
    mf.CLASS_WEIGHT = 2.0
    mf.MASK_WEIGHT = 5.0
    mf.DICE_WEIGHT = 5.0
    # Point-sampled mask losses and matching costs (PointRend's importance sampling).
    mf.TRAIN_NUM_POINTS = 12544
    mf.OVERSAMPLE_RATIO = 3.0
    mf.IMPORTANCE_SAMPLE_RATIO = 0.75
    # How TEST.SCALES / TEST.FLIP views combine: "scores" averages the semantic scores (detectron2's
    # SemanticSegmentorWithTTA in the authors' code), "prob" averages their softmax (mmsegmentation's TTA,
    # the TEST.AGGREGATE "prob" of every other model here).
    mf.VIEW_AGGREGATE = "scores"
