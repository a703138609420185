"""Rules shared by the segmentation_models_pytorch converters: smp's ResNet encoders are torchvision's
ResNets under ``encoder.`` (their fc removed), which is seg_engine's ResNet with the "basic" stem."""
from __future__ import annotations

SMP_RESNET_ENCODER = [(r"encoder\.((conv1|bn1|layer[1-4])\.)", r"backbone.\1")]
# smp's Conv2dReLU = Sequential(conv, norm, ReLU): the children of ConvStack's layers.
SMP_CONV_RELU = {"conv1": "0", "conv2": "1"}
