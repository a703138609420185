from .backbone import Backbone, ShapeSpec, build_resnet_backbone
from .build import build_backbone, build_model, resolve_device
from .heads import FCNHead, build_head
from .meta_arch import EncoderDecoder
from .registry import BACKBONE_REGISTRY, HEAD_REGISTRY, META_ARCH_REGISTRY

__all__ = [
    "BACKBONE_REGISTRY",
    "HEAD_REGISTRY",
    "META_ARCH_REGISTRY",
    "Backbone",
    "EncoderDecoder",
    "FCNHead",
    "ShapeSpec",
    "build_backbone",
    "build_head",
    "build_model",
    "build_resnet_backbone",
    "resolve_device",
]
