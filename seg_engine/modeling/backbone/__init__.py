"""Backbones; importing this package registers them in BACKBONE_REGISTRY."""
from .backbone import Backbone, ShapeSpec
from .convnext import ConvNeXt, build_convnext_backbone
from .resnet import ResNet, build_resnet_backbone
from .swin import SwinTransformer, build_swin_backbone
from .timm import TimmBackbone, build_timm_backbone  # imports without timm; building needs it
from .torchvision import TorchvisionBackbone, build_torchvision_backbone
from .vgg import VGG, build_vgg_backbone
from .xception import Xception, build_xception_backbone

__all__ = [
    "Backbone",
    "ShapeSpec",
    "ConvNeXt",
    "build_convnext_backbone",
    "ResNet",
    "build_resnet_backbone",
    "SwinTransformer",
    "build_swin_backbone",
    "TimmBackbone",
    "build_timm_backbone",
    "TorchvisionBackbone",
    "build_torchvision_backbone",
    "VGG",
    "build_vgg_backbone",
    "Xception",
    "build_xception_backbone",
]
