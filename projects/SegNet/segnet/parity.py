"""SegNet has no converter (the authors released Caffe weights of other networks only) and no runnable reference;
``tools/check_parity.py --list`` says what it is checked against instead."""
from seg_engine.parity import ParityReference, register_parity_reference

register_parity_reference(ParityReference(
    name="segnet", converter="",
    reference="the authors' Caffe network, alexgkendall/SegNet-Tutorial Models/segnet_train.prototxt (no PyTorch "
              "implementation of theirs exists, and Caffe does not run here)",
    checked_against="the prototxt's layer table (every conv's channels, kernel, padding, BN + ReLU, every pool and "
                    "upsample, in forward order) written out in projects/SegNet/tests/test_segnet_model.py, the "
                    "unpooled sizes of its upsample layers at 360x480, and its encoder against torchvision's "
                    "vgg16_bn().features (bit-identical pool5); python -m pytest projects/SegNet/tests"))
