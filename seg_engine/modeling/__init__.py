from .backbone import Backbone, ShapeSpec, build_resnet_backbone
from .build import build_backbone, build_model, resolve_device
from .heads import FCNHead, aux_head_names, build_head, head_nodes
from .meta_arch import EncoderDecoder
from .necks import build_neck
from .losses import LOSS_REGISTRY
from .registry import BACKBONE_REGISTRY, HEAD_REGISTRY, META_ARCH_REGISTRY, NECK_REGISTRY

__all__ = [
    "BACKBONE_REGISTRY",
    "HEAD_REGISTRY",
    "LOSS_REGISTRY",
    "META_ARCH_REGISTRY",
    "NECK_REGISTRY",
    "Backbone",
    "EncoderDecoder",
    "FCNHead",
    "ShapeSpec",
    "aux_head_names",
    "build_backbone",
    "build_head",
    "build_model",
    "build_neck",
    "build_resnet_backbone",
    "head_nodes",
    "resolve_device",
]
