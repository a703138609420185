"""Weight converters from mmsegmentation's and segmentation_models_pytorch's FPN checkpoints.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
mmsegmentation's ImageNet ResNetV1c loads with seg_engine's ``mmseg_resnet_v1c``; torchvision's
ImageNet ResNets (smp's encoders, detectron2-style recipes here) need no converter.
"""
from . import mmseg_fpn, smp_fpn

__all__ = ["mmseg_fpn", "smp_fpn"]
