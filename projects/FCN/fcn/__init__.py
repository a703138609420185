"""FCN-32s/16s/8s (Long, Shelhamer, Darrell, "Fully Convolutional Networks for Semantic Segmentation",
CVPR 2015 / PAMI 2016) as a seg_engine project, and converters for the dilated-ResNet "FCN"s.

The Caffe nets are the composed model of the VGG backbone and the ``FCNSkipHead``; importing registers the
head, the ``MODEL.FCN`` config keys and the weight converters ``pytorch_fcn``, ``torchvision_fcn`` and ``mmseg_fcn``.
"""
from . import converters, interop, parity
from .bilinear import BilinearUpsample, bilinear_kernel
from .config import add_fcn_config
from .skip_head import FCNSkipHead

__all__ = ["BilinearUpsample", "FCNSkipHead", "add_fcn_config", "bilinear_kernel", "converters"]
