"""Backbones; importing this package registers them in BACKBONE_REGISTRY."""
from .backbone import Backbone, ShapeSpec
from .resnet import ResNet, build_resnet_backbone
from .torchvision import TorchvisionBackbone, build_torchvision_backbone

__all__ = ["Backbone", "ShapeSpec", "ResNet", "build_resnet_backbone", "TorchvisionBackbone", "build_torchvision_backbone"]
