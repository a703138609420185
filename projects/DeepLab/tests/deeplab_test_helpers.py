"""Helpers of the DeepLab tests: configs from the project's recipes, narrow models, batches."""
import os

import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIGS = os.path.join(PROJECT, "configs")
load_plugin(PROJECT)

NARROW = ["MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.RESNETS.MULTI_GRID", "(1, 2)",
          "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8",
          "MODEL.NUM_CLASSES", "5", "MODEL.DEVICE", "cpu"]


def config(recipe, *opts):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(CONFIGS, recipe))
    cfg.merge_from_list(list(opts))
    return cfg


def meta_model(recipe, *opts):
    """The full-size model of ``recipe`` on the meta device (no memory, no init)."""
    with torch.device("meta"):
        return build_model(config(recipe, "MODEL.DEVICE", "meta", *opts))


def narrow_model(recipe="Base-DeepLabV3Plus.yaml", *opts, seed=0):
    torch.manual_seed(seed)
    return build_model(config(recipe, *NARROW, *opts))


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def batch(*sizes, with_masks=False, classes=5):
    g = torch.Generator().manual_seed(0)
    out = []
    for h, w in sizes:
        item = {"image": torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g), "height": h, "width": w}
        if with_masks:
            item["sem_seg"] = torch.randint(0, classes, (h, w), generator=g)
        out.append(item)
    return out


def read_key_table(name):
    """key -> shape of a reference's state_dict, from a table in tests/data written outside the repo."""
    shapes = {}
    with open(os.path.join(HERE, "data", name)) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, shape = line.split()
            assert key not in shapes, f"{key} listed twice"
            shapes[key] = () if shape == "-" else tuple(int(n) for n in shape.split(","))
    return shapes
