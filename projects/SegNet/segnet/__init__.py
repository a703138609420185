"""SegNet (Badrinarayanan, Kendall, Cipolla, "SegNet: A Deep Convolutional Encoder-Decoder Architecture
for Image Segmentation", TPAMI 2017) as a seg_engine project.

SegNet is the composed model of the core VGG backbone (ceil-mode pools returning their indices) and the
``SegNetDecoder`` head, which importing registers; CamVid is a core dataset (``camvid_*``).
"""
from .decoder import SegNetDecoder, decoder_layer_table, max_unpool
from . import config, parity

__all__ = ["SegNetDecoder", "decoder_layer_table", "max_unpool"]
