"""Weight converters from the authors' and mmsegmentation's checkpoint layouts.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
"""
from . import mmseg_pspnet, mmseg_resnet_v1c, semseg_pspnet, semseg_resnet_imagenet

__all__ = ["mmseg_pspnet", "mmseg_resnet_v1c", "semseg_pspnet", "semseg_resnet_imagenet"]
