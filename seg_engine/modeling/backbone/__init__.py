"""Backbones; importing this package registers them in BACKBONE_REGISTRY."""
from .backbone import Backbone, ShapeSpec
from .resnet import ResNet, build_resnet_backbone
from .torchvision import TorchvisionBackbone, build_torchvision_backbone
from .timm import TimmBackbone, build_timm_backbone  # imports without timm; building needs it

__all__ = ["Backbone", "ShapeSpec", "ResNet", "build_resnet_backbone", "TorchvisionBackbone", "build_torchvision_backbone", "TimmBackbone", "build_timm_backbone"]
