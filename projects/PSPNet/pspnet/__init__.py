"""PSPNet (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017) as a seg_engine project.

Importing registers the ``PSPNet`` meta-architecture, the ``PPMHead`` head, the
``build_resnet_v1c_backbone`` backbone (mmsegmentation's narrow deep stem), the ``MODEL.PSP`` config
keys and the weight converters ``semseg_pspnet``, ``semseg_resnet_imagenet``, ``mmseg_resnet_v1c``
and ``mmseg_pspnet``.
"""
from . import converters
from .config import add_pspnet_config
from .ppm_head import PPMHead
from .pspnet import PSPNet
from .pyramid_pooling import PyramidPooling
from .resnet_v1c import ResNetV1c, build_resnet_v1c_backbone

__all__ = [
    "PPMHead",
    "PSPNet",
    "PyramidPooling",
    "ResNetV1c",
    "add_pspnet_config",
    "build_resnet_v1c_backbone",
    "converters",
]
