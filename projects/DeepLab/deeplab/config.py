"""The config keys of DeepLab: the ASPP's switches (MODEL.ASPP) and DeepLab's own (MODEL.DEEPLAB).

The width, norm and classifier dropout of the heads are MODEL.HEAD.CHANNELS/NORM/DROPOUT.
"""
from seg_engine.config import CfgNode, register_config, register_renamed_value
from seg_engine.modeling.necks import register_jpu_renames


@register_config
def add_deeplab_config(cfg: CfgNode) -> None:
    """Add ``MODEL.ASPP`` and ``MODEL.DEEPLAB``; the defaults are the paper's TensorFlow model."""
    cfg.MODEL.ASPP = CfgNode()
    # Rates of the 3x3 atrous branches at the training output stride (6, 12, 18 at 16; 12, 24, 36 at 8).
    cfg.MODEL.ASPP.RATES = (6, 12, 18)
    # Where the image-pooling branch sits in the concat: "first" (TensorFlow, mmsegmentation) or
    # "last" (torchvision, smp, jfzhang95).
    cfg.MODEL.ASPP.POOL_POSITION = "first"
    # Norm (MODEL.HEAD.NORM) after the pooling branch's 1x1 conv; False: a conv with bias and no norm
    # (detectron2), since BatchNorm cannot train on one image per process.
    cfg.MODEL.ASPP.POOL_NORM = True
    # Kernel of the projection after the concat: 1 (paper, torchvision) or 3 (mmsegmentation).
    cfg.MODEL.ASPP.PROJECT_KERNEL = 1
    # Dropout after the projection (TensorFlow keep 0.9 -> 0.1; torchvision 0.5; mmsegmentation 0).
    cfg.MODEL.ASPP.DROPOUT = 0.1
    # Depthwise-separable atrous branches (DeepLabv3+ with Xception, mmsegmentation's DepthwiseSeparableASPPHead).
    cfg.MODEL.ASPP.SEPARABLE = False

    cfg.MODEL.DEEPLAB = CfgNode()
    # Output stride of evaluation (0: the training one): eval() re-dilates the backbone and scales the
    # ASPP rates by training / test stride (the paper trains at 16 and evaluates at 8); train() undoes it.
    cfg.MODEL.DEEPLAB.TEST_OUTPUT_STRIDE = 0
    # DeepLabv3's head: torchvision's 3x3 conv-norm-ReLU between the ASPP and the classifier.
    cfg.MODEL.DEEPLAB.POST_ASPP_CONV = False
    # DeepLabv3+'s decoder: the stride-4 low-level feature, its 1x1 projection's channels, and
    # depthwise-separable 3x3 convs after the concat (TensorFlow with Xception, mmsegmentation).
    cfg.MODEL.DEEPLAB.LOW_LEVEL_FEATURE = "res2"
    cfg.MODEL.DEEPLAB.LOW_LEVEL_CHANNELS = 48
    cfg.MODEL.DEEPLAB.DECODER_SEPARABLE = False


# DeepLabV3Plus was DeepLabV3 requiring the DeepLabV3PlusHead; the recipes name the head themselves.
register_renamed_value("MODEL.META_ARCHITECTURE", "DeepLabV3Plus", {"MODEL.META_ARCHITECTURE": "DeepLabV3"},
                       "DeepLabV3 takes either head: MODEL.HEAD.NAME DeepLabV3PlusHead makes DeepLabv3+")
register_jpu_renames("MODEL.DEEPLAB")
