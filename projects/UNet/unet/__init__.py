"""UNet, UNet++ and LinkNet, the U-shaped encoder-decoders, as a seg_engine project.

Importing registers the meta-architectures ``UNet``, the backbone ``build_unet_encoder``, the head
``UNetClassifierHead``, the MODEL.UNET* config keys and the weight converters.
"""
from . import converters
from .any_size import AnySizeEncoderDecoder
from .config import add_unet_config
from .decoder import DecoderBlock, UNetDecoder
from .encoder import UNetEncoder, build_unet_encoder
from .heads import UNetClassifierHead
from .unet import UNet
from .unetplusplus import UNetPlusPlus
from .linknet import LinkNet, LinkNetDecoder, LinkNetHead
from .nested_decoder import NestedDecoder

__all__ = [
    "AnySizeEncoderDecoder",
    "DecoderBlock",
    "UNet",
    "UNetClassifierHead",
    "UNetDecoder",
    "UNetEncoder",
    "UNetPlusPlus",
    "LinkNet",
    "LinkNetDecoder",
    "LinkNetHead",
    "NestedDecoder",
    "add_unet_config",
    "build_unet_encoder",
    "converters",
]
