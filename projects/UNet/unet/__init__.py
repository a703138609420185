"""UNet, UNet++ and LinkNet, the U-shaped encoder-decoders, as a seg_engine project.

Each is the composed model with a decoder neck (``UNetDecoder``, ``NestedDecoder``, ``LinkNetDecoder``; keys
``decoder.*``) and MODEL.PAD_INPUT; importing registers the necks, the backbone ``build_unet_encoder``, the heads
``UNetClassifierHead`` and ``LinkNetHead``, the meta-architectures of the two behaviours the composed model lacks
(``OverlapTileUNet``: valid convolutions; ``UNetPlusPlus``: deep supervision), the MODEL.UNET* config keys and the
weight converters.
"""
from . import converters, interop, parity
from .config import add_unet_config
from .decoder import DecoderBlock, UNetDecoder
from .encoder import UNetEncoder, build_unet_encoder
from .heads import UNetClassifierHead
from .linknet import LinkNetDecoder, LinkNetHead
from .nested_decoder import NestedDecoder
from .unet import OverlapTileUNet
from .unetplusplus import UNetPlusPlus

__all__ = [
    "DecoderBlock",
    "LinkNetDecoder",
    "LinkNetHead",
    "NestedDecoder",
    "OverlapTileUNet",
    "UNetClassifierHead",
    "UNetDecoder",
    "UNetEncoder",
    "UNetPlusPlus",
    "add_unet_config",
    "build_unet_encoder",
    "converters",
]
