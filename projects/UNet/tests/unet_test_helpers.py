"""Shared by the UNet project's tests: build a model from a recipe of the project on any device."""
import os

import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIGS = os.path.join(PROJECT, "configs")
load_plugin(os.path.join(PROJECT, "unet"))


def make_cfg(recipe, *opts):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(CONFIGS, recipe))
    cfg.merge_from_list([str(o) for o in opts])
    return cfg


def build(recipe, *opts, device="cpu"):
    cfg = make_cfg(recipe, *opts, "MODEL.DEVICE", device)
    with torch.device(device):
        return build_model(cfg)


def n_params(model):
    return sum(p.numel() for p in model.parameters())
