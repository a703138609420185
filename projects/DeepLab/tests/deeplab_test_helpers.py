"""Helpers of the DeepLab tests: configs from the project's recipes, narrow and full-size models."""
import os

import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIGS = os.path.join(PROJECT, "configs")
load_plugin(PROJECT)

NARROW = ["MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.RESNETS.MULTI_GRID", "(1, 2)",
          "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8",
          "MODEL.NUM_CLASSES", "5", "MODEL.DEVICE", "cpu"]


def config(recipe, *opts):
    return load_config(os.path.join(CONFIGS, recipe), *opts)


def meta_model(recipe, *opts):
    """The full-size model of ``recipe`` on the meta device (no memory, no init)."""
    return build_on_meta(config(recipe, *opts))


def narrow_model(recipe="Base-DeepLabV3Plus.yaml", *opts, seed=0):
    torch.manual_seed(seed)
    return build_model(config(recipe, *NARROW, *opts))
