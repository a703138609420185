"""Weight converters from torchvision's and mmsegmentation's trained DeepLab checkpoints.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
"""
from . import mmseg_deeplabv3, mmseg_deeplabv3plus, mmseg_fastfcn_aspp, torchvision_deeplabv3

__all__ = ["mmseg_deeplabv3", "mmseg_deeplabv3plus", "mmseg_fastfcn_aspp", "torchvision_deeplabv3"]
