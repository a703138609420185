"""The reference models' sizes, counted from the reference code outside the repo (model_zoo.md, the key tables)."""
import os
import sys
import pytest

from seg_engine.utils.testing import num_params

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import build  # noqa: E402


@pytest.mark.parametrize("recipe, opts, expected", [
    # milesial/Pytorch-UNet UNet(3, 1, bilinear=False)
    ("Base-UNet-paper.yaml", ["MODEL.NUM_CLASSES", 1], 31_037_633),
    # milesial UNet(3, 1, bilinear=True)
    ("Base-UNet-milesial-bilinear.yaml", ["MODEL.NUM_CLASSES", 1], 17_262_977),
    # the paper's network: 1 input channel, 2 classes, no BN (formula in model_zoo.md)
    ("Base-UNet-paper.yaml", ["MODEL.NUM_CLASSES", 2, "MODEL.UNET_ENCODER.IN_CHANNELS", 1, "MODEL.UNET.NORM", "''",
                              "MODEL.UNET.PADDING", "valid", "MODEL.META_ARCHITECTURE", "OverlapTileUNet"], 31_030_658),
    # smp.Unet("resnet34", classes=21)
    ("Base-UNet-smp.yaml", ["MODEL.NUM_CLASSES", 21], 24_439_269),
    # mmseg fcn_unet_s5-d16 at 150 classes
    ("Base-UNet-mmseg.yaml", ["MODEL.NUM_CLASSES", 150], 29_079_916),
    # smp.UnetPlusPlus("resnet34", classes=1)
    ("Base-UNetPlusPlus-smp.yaml", ["MODEL.NUM_CLASSES", 1], 26_078_609),
    # e-lab/LinkNet model.lua at 12 classes (the paper: 11.5M)
    ("Base-LinkNet-paper.yaml", ["MODEL.NUM_CLASSES", 12], 11_535_788),
    # smp.Linknet("resnet18", classes=12)
    ("Base-LinkNet-smp.yaml", ["MODEL.NUM_CLASSES", 12], 11_664_140),
])
def test_reference_sizes(recipe, opts, expected):
    assert num_params(build(recipe, *opts, device="meta")) == expected


def test_bilinear_unet_replaces_each_up_convolution_by_a_1x1_conv_bn_relu():
    transpose = num_params(build("Base-UNet-paper.yaml", "MODEL.NUM_CLASSES", 1, device="meta"))
    bilinear = num_params(build("Base-UNet-paper.yaml", "MODEL.NUM_CLASSES", 1, "MODEL.UNET.UPSAMPLE", "bilinear", device="meta"))
    # per level: 2x2 transposed conv (4 c_in c_out + c_out) -> 1x1 conv (c_in c_out) + BN (2 c_out)
    levels = [(1024, 512), (512, 256), (256, 128), (128, 64)]
    assert transpose - bilinear == sum(3 * i * o - o for i, o in levels)


def test_paper_widths_of_unetplusplus_give_every_node_the_decoder_width():
    smp = build("Base-UNetPlusPlus-smp.yaml", "MODEL.NUM_CLASSES", 1, device="meta")
    paper = build("Base-UNetPlusPlus-smp.yaml", "MODEL.NUM_CLASSES", 1, "MODEL.UNETPP.WIDTHS", "paper", device="meta")
    assert smp.decoder.nodes["x_0_1"].convs[0][0].out_channels == 64  # the encoder's width at conv1
    assert paper.decoder.nodes["x_0_1"].convs[0][0].out_channels == 32  # the decoder's width of level 0
    assert paper.decoder.nodes["x_2_1"].convs[0][0].out_channels == 128
    assert num_params(paper) != num_params(smp)
