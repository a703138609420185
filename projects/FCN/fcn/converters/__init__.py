"""The published layouts of FCN weights, one module per source; importing registers them (``pytorch_fcn``:
wkentaro/pytorch-fcn's FCN-32s/16s/8s, the Caffe nets ported; ``torchvision_fcn``; ``mmseg_fcn``). The ImageNet
VGG-16 of the Caffe nets loads with the core's ``torchvision_vgg`` / ``torchvision_vgg_caffe_bgr``, mmsegmentation's
ResNetV1c with ``mmseg_resnet_v1c``."""
from . import mmseg, pytorch_fcn, torchvision  # noqa: F401 (registers)
