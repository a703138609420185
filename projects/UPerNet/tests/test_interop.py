"""UPerNet in the core's registries: mmsegmentation's UPerHead in the config importer, and the --compare-mmseg
pairings of the three mmsegmentation layouts."""
import os

import pytest

from seg_engine.analysis.compare_mmseg import select_mmseg_model
from seg_engine.interop.mmseg_config import _Translator
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)
CONFIGS = os.path.join(PROJECT, "configs")

# mmsegmentation 1.2.2's configs/_base_/models/upernet_r50.py, its two heads
UPER_HEAD = dict(type="UPerHead", in_channels=[256, 512, 1024, 2048], in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6),
                 channels=512, dropout_ratio=0.1, num_classes=19, norm_cfg=dict(type="SyncBN", requires_grad=True),
                 align_corners=False, loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0))
FCN_HEAD = dict(type="FCNHead", in_channels=1024, in_index=2, channels=256, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=19, norm_cfg=dict(type="SyncBN", requires_grad=True), align_corners=False,
                loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=0.4))


def translate_heads(decode_head):
    translator = _Translator({"model": {"backbone": {"type": "ResNetV1c", "out_indices": (0, 1, 2, 3)}}}, "x", None)
    used = translator.heads({"decode_head": decode_head, "auxiliary_head": FCN_HEAD})
    return translator, used


def test_mmseg_uper_head_is_the_upernet_head_on_every_level_its_in_index_lists():
    translator, used = translate_heads(UPER_HEAD)
    assert used == ["res2", "res3", "res4", "res5"] and translator.problems == []
    keys = translator.keys
    assert (keys["MODEL.HEAD.NAME"], keys["MODEL.HEAD.IN_FEATURES"], keys["MODEL.HEAD.CHANNELS"]) == (
        "UPerNetHead", ["res2", "res3", "res4", "res5"], 512)
    assert (keys["MODEL.UPERNET.POOL_SCALES"], keys["MODEL.AUX_HEADS"], keys["MODEL.AUX_HEAD.IN_FEATURES"]) == (
        (1, 2, 3, 6), ["AUX_HEAD"], ["res4"])
    # what the recipe of the same network says
    recipe = load_config(os.path.join(CONFIGS, "ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml"))
    assert keys["MODEL.HEAD.IN_FEATURES"] == list(recipe.MODEL.HEAD.IN_FEATURES)
    assert keys["MODEL.UPERNET.POOL_SCALES"] == tuple(recipe.MODEL.UPERNET.POOL_SCALES)


@pytest.mark.parametrize("change, problem", [
    (dict(in_index=[3]), "model.decode_head.in_index=[3]"),
    (dict(in_index=[3, 2, 1, 0]), "model.decode_head.in_index=[3, 2, 1, 0]"),
    (dict(fusion="sum"), "model.decode_head.fusion='sum'"),
])
def test_what_the_head_cannot_express_is_listed(change, problem):
    translator, _ = translate_heads(dict(UPER_HEAD, **change))
    assert translator.problems == [problem]


@pytest.mark.parametrize("recipe, weights_format, config", [
    ("ade20k/upernet_r101_512x512_80k_ade20k_mmseg.yaml", "", "upernet/upernet_r50_4xb4-80k_ade20k-512x512.py"),
    ("ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml", "mmseg_upernet_swin",
     "swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py"),
    ("ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml", "mmseg_upernet_convnext",
     "convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py"),
])
def test_compare_mmseg_pairs_each_layout_with_mmsegmentations_config(recipe, weights_format, config):
    """The ResNet recipes find their pairing by head; a Swin or ConvNeXt recipe names its layout (--weights-format),
    since the head alone does not say the backbone."""
    cfg = load_config(os.path.join(CONFIGS, recipe))
    expected = weights_format or "mmseg_upernet"
    assert select_mmseg_model(cfg, weights_format) == (expected, config)
