"""Shared by the UNet project's tests: build a model from a recipe of the project on any device."""
import os

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIGS = os.path.join(PROJECT, "configs")
load_plugin(os.path.join(PROJECT, "unet"))


def make_cfg(recipe, *opts):
    return load_config(os.path.join(CONFIGS, recipe), *opts)


def build(recipe, *opts, device="cpu"):
    cfg = make_cfg(recipe, *opts, "MODEL.DEVICE", device)
    return build_on_meta(cfg) if device == "meta" else build_model(cfg)
