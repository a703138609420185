"""The multi-branch networks, each a registered backbone returning named features."""
from .bisenetv1 import BiSeNetV1, build_bisenetv1_backbone
from .bisenetv2 import BiSeNetV2, build_bisenetv2_backbone
from .ddrnet import DDRNet, build_ddrnet_backbone
from .pidnet import PIDNet, build_pidnet_backbone
from .stdc import STDCContextPathNet, STDCNet, build_stdc_backbone

__all__ = [
    "BiSeNetV1",
    "BiSeNetV2",
    "DDRNet",
    "PIDNet",
    "STDCContextPathNet",
    "STDCNet",
    "build_bisenetv1_backbone",
    "build_bisenetv2_backbone",
    "build_ddrnet_backbone",
    "build_pidnet_backbone",
    "build_stdc_backbone",
]
