from .conv_norm_act import ConvNormAct
from .norm import freeze_batchnorm, get_norm

__all__ = ["ConvNormAct", "freeze_batchnorm", "get_norm"]
