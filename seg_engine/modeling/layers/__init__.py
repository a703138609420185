from .adaptive_pool import ExportableAdaptiveAvgPool2d, adaptive_avg_pool2d_by_matmul
from .conv_norm_act import ConvNormAct
from .norm import freeze_batchnorm, get_norm
from .separable_conv import SeparableConv2d

__all__ = [
    "ConvNormAct", "ExportableAdaptiveAvgPool2d", "SeparableConv2d", "adaptive_avg_pool2d_by_matmul", "freeze_batchnorm", "get_norm",
]
