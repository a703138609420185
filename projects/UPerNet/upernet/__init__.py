"""UPerNet (Xiao et al., "Unified Perceptual Parsing for Scene Understanding", ECCV 2018) as a seg_engine project.

Importing registers the ``UPerHead`` decode head (``UPerNetHead``), the ``MODEL.UPERNET`` config keys and the weight
converters (mmsegmentation's, transformers' and smp's UPerNets; the Swin and ConvNeXt ImageNet backbones).
The model is the core ``EncoderDecoder``: backbone (ResNet, Swin, ConvNeXt or any other with four maps),
``UPerHead`` and the core ``FCNHead`` as auxiliary head.
"""
from . import backbone_names, converters
from .config import add_upernet_config
from .uper_head import UPerHead, UPerNetHead

__all__ = ["UPerHead", "UPerNetHead", "add_upernet_config", "converters"]
