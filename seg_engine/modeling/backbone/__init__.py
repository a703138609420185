"""Backbones; importing this package registers them in BACKBONE_REGISTRY."""
from .backbone import Backbone, ShapeSpec
from .resnet import ResNet, build_resnet_backbone

__all__ = ["Backbone", "ShapeSpec", "ResNet", "build_resnet_backbone"]
from .vgg import VGG, build_vgg_backbone

__all__ += ["VGG", "build_vgg_backbone"]
