from .conv_norm_act import ConvNormAct
from .norm import freeze_batchnorm, get_norm
from .separable_conv import SeparableConv2d

__all__ = ["ConvNormAct", "SeparableConv2d", "freeze_batchnorm", "get_norm"]
