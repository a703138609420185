"""SegFormer in the core's registries: the zoo's MiT names, mmsegmentation's SegformerHead in the config importer, and
the --compare-mmseg pairing of the mmsegmentation recipes."""
import os

import pytest

from seg_engine.analysis.compare_mmseg import select_mmseg_model
from seg_engine.interop import backbone_name
from seg_engine.interop.mmseg_config import _Translator
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)
CONFIGS = os.path.join(PROJECT, "configs")


@pytest.mark.parametrize("recipe, name", [
    ("ade20k/segformer_mit-b0_512x512_160k_ade20k_nvlabs.yaml", "MiT-B0"),
    ("ade20k/segformer_mit-b1_512x512_160k_ade20k_mmseg.yaml", "MiT-B1"),
    ("cityscapes/segformer_mit-b3_1024x1024_160k_cityscapes_nvlabs.yaml", "MiT-B3"),
    ("ade20k/segformer_mit-b5_640x640_160k_ade20k_mmseg.yaml", "MiT-B5"),
    ("shapes/segformer_mit-tiny_shapes.yaml", "MiT (widths 16..128, depths 1, 1, 1, 1)"),
])
def test_the_zoo_names_the_mit(recipe, name):
    assert backbone_name(load_config(os.path.join(CONFIGS, recipe))) == name


def test_mmseg_segformer_head_is_translated_to_the_mmseg_form_on_every_level():
    head = dict(type="SegformerHead", in_channels=[256, 512, 1024, 2048], in_index=[0, 1, 2, 3], channels=256,
                dropout_ratio=0.1, num_classes=150, norm_cfg=dict(type="SyncBN", requires_grad=True),
                align_corners=False, loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0))
    translator = _Translator({"model": {"backbone": {"type": "ResNetV1c", "out_indices": (0, 1, 2, 3)}}}, "x", None)
    used = translator.heads({"decode_head": head})
    assert used == ["res2", "res3", "res4", "res5"] and translator.problems == []
    keys = translator.keys
    assert (keys["MODEL.HEAD.NAME"], keys["MODEL.HEAD.IN_FEATURES"], keys["MODEL.HEAD.CHANNELS"]) == (
        "SegFormerHead", ["res2", "res3", "res4", "res5"], 256)
    assert (keys["MODEL.SEGFORMER.HEAD_FORM"], keys["MODEL.SYNC_BN"], keys["MODEL.AUX_HEADS"]) == ("mmseg", True, [])
    translator.heads({"decode_head": dict(head, interpolate_mode="nearest", in_index=[1, 2, 3])})
    assert translator.problems == ["model.decode_head.interpolate_mode='nearest'"]
    assert translator.keys["MODEL.HEAD.IN_FEATURES"] == ["res3", "res4", "res5"]


def test_compare_mmseg_pairs_the_mmseg_recipes_with_mmsegmentations_config():
    cfg = load_config(os.path.join(CONFIGS, "ade20k/segformer_mit-b0_512x512_160k_ade20k_mmseg.yaml"))
    assert select_mmseg_model(cfg) == ("mmseg_segformer", "segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py")
