from .adaptive_pool import adaptive_avg_pool2d_by_matmul, exportable_adaptive_avg_pool2d
from .conv_norm_act import ConvNormAct
from .norm import freeze_batchnorm, get_norm
from .pyramid_pooling import PyramidPooling
from .separable_conv import SeparableConv2d

__all__ = [
    "ConvNormAct",
    "PyramidPooling",
    "SeparableConv2d",
    "adaptive_avg_pool2d_by_matmul",
    "exportable_adaptive_avg_pool2d",
    "freeze_batchnorm",
    "get_norm",
]
