"""The narrow UPerNets the tests train, evaluate and export: each design's recipe with tiny widths."""
import os

import pytest
import torch

from seg_engine.modeling import build_model
from seg_engine.utils.testing import load_config

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")

NARROW = {  # design: recipe, then overrides that make it narrow
    "resnet": ("ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
               "MODEL.RESNETS.STEM_WIDTH", "0"),
    "swin": ("ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml", "MODEL.SWIN.EMBED_DIM", "8", "MODEL.SWIN.DEPTHS", "[1, 1, 2, 1]",
             "MODEL.SWIN.NUM_HEADS", "[1, 1, 2, 2]"),
    "convnext": ("ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml", "MODEL.CONVNEXT.DIMS", "[8, 8, 16, 16]",
                 "MODEL.CONVNEXT.DEPTHS", "[1, 1, 1, 1]", "TEST.MODE", "whole"),
    "smp": ("Base-UPerNet-smp.yaml", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8"),
}


@pytest.fixture
def narrow():
    """``narrow(design, *opts)``: the design's model with 5 classes and tiny widths, seeded, on the CPU."""
    def build(design, *opts):
        recipe, *rest = NARROW[design]
        torch.manual_seed(0)
        return build_model(load_config(os.path.join(CONFIGS, recipe), "MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", "",
                                       "MODEL.NUM_CLASSES", "5", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
                                       *rest, *opts))
    return build
