"""Shared by the RealTime project's tests: build a model from a recipe of the project on any device."""
import os

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIGS = os.path.join(PROJECT, "configs")
DATA = os.path.join(HERE, "data")
load_plugin(os.path.join(PROJECT, "realtime"))

SHAPES = ["pidnet_shapes.yaml", "ddrnet_shapes.yaml", "bisenetv1_shapes.yaml", "bisenetv2_shapes.yaml",
          "stdc_shapes.yaml", "lraspp_shapes.yaml"]


def make_cfg(recipe, *opts):
    return load_config(os.path.join(CONFIGS, recipe), *opts)


def build(recipe, *opts, device="cpu"):
    cfg = make_cfg(recipe, *opts, "MODEL.DEVICE", device)
    return build_on_meta(cfg) if device == "meta" else build_model(cfg)
