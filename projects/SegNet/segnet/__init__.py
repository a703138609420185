"""SegNet (Badrinarayanan, Kendall, Cipolla, "SegNet: A Deep Convolutional Encoder-Decoder Architecture
for Image Segmentation", TPAMI 2017) as a seg_engine project.

Importing registers the ``SegNet`` meta-architecture and the ``SegNetDecoder`` head. The encoder is the
core VGG backbone (ceil-mode pools returning their indices); CamVid is a core dataset (``camvid_*``).
"""
from .decoder import SegNetDecoder, decoder_layer_table, max_unpool
from .segnet import SegNet

__all__ = ["SegNet", "SegNetDecoder", "decoder_layer_table", "max_unpool"]
