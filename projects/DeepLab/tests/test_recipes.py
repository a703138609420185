"""Every recipe loads (its keys exist, its bases resolve) and builds the model it names; the published
layouts have the references' parameter counts."""
import glob
import os
import sys



sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_test_helpers import CONFIGS, meta_model

RECIPES = sorted(os.path.relpath(p, CONFIGS) for p in glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))
PARAMS = {  # recipe prefix: parameters (the references' counts, see test_converter_keys.py)
    "voc2012/deeplabv3_R50_torchvision": 42_004_074,
    "ade20k/deeplabv3_R50-D8": 68_213_900,
    "ade20k/deeplabv3plus_R50-D8": 43_690_748,
    "cityscapes/deeplabv3plus_R50-D8": 43_690_748 - (150 - 19) * (512 + 1 + 256 + 1),
    "cityscapes/deeplabv3_jpu_R50-d32": 87_848_582,
}


def test_the_issues_recipe_names_exist():
    expected = {
        "voc2012/deeplabv3_R50_torchvision.yaml", "voc2012/deeplabv3_R101_os16_voc2012aug_paper.yaml",
        "ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml", "ade20k/deeplabv3plus_R50-D8_512x512_80k_ade20k_mmseg.yaml",
        "ade20k/deeplabv3_R50-D8_512x512_160k_ade20k_mmseg.yaml", "ade20k/deeplabv3plus_R50-D8_512x512_160k_ade20k_mmseg.yaml",
        "cityscapes/deeplabv3plus_R50-D8_512x1024_80k_cityscapes_mmseg.yaml", "shapes/deeplabv3plus_R18_shapes.yaml",
        "cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml",
    }
    assert expected <= set(RECIPES)


def test_paper_recipe_trains_at_16_and_evaluates_at_8_with_doubled_rates():
    model = meta_model("voc2012/deeplabv3_R101_os16_voc2012aug_paper.yaml")
    assert model.backbone.output_shape()["res5"].stride == 16 and model.decode_head.aspp.rates == [6, 12, 18]
    assert [b.conv2.dilation[0] for b in model.backbone.layer4] == [2, 4, 8]
    model.eval()
    assert model.backbone.output_shape()["res5"].stride == 8 and model.decode_head.aspp.rates == [12, 24, 36]
    assert [b.conv2.dilation[0] for b in model.backbone.layer4] == [4, 8, 16]
