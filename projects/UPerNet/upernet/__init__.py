"""UPerNet (Xiao et al., "Unified Perceptual Parsing for Scene Understanding", ECCV 2018) as a seg_engine project.

UPerNet is the composed model with the ``UPerNetHead`` decode head (on any backbone's four maps: the core ResNet, Swin
or ConvNeXt) and the core FCN auxiliary head: importing registers the head, the ``MODEL.UPERNET`` config keys, the
weight layouts of mmsegmentation's, the authors', transformers' and smp's UPerNets and the mmsegmentation interop.
"""
from . import converters, interop, parity
from .config import add_upernet_config
from .uper_head import UPerNetHead

__all__ = ["UPerNetHead", "add_upernet_config", "converters"]
