"""The core's weight layouts: ImageNet backbones in the layouts the segmentation references start from, and the
JPU neck that three projects share. Projects declare their own layouts beside their parts (``<package>/converters``).
Importing registers them (see :mod:`seg_engine.checkpoint.layout`)."""
from . import convnext, mmpretrain, mmseg, pytorch_encoding, semseg, swin_transformer, timm, torchvision  # noqa: F401
