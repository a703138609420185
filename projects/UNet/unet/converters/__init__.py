"""Weight converters from milesial/Pytorch-UNet, segmentation_models_pytorch and mmsegmentation checkpoints.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
"""
from . import milesial_unet, mmseg_unet, smp_linknet, smp_unet, smp_unetplusplus

__all__ = ["milesial_unet", "mmseg_unet", "smp_linknet", "smp_unet", "smp_unetplusplus"]
