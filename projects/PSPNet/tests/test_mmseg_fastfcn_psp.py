"""mmseg_fastfcn_psp beyond its key table (tests/checkpoint/test_layouts.py): the JPU recipe's model has
mmsegmentation 1.2.2's parameter count and strides (logits parity: README), a checkpoint without the JPU neck is
pointed to mmseg_pspnet, and the model runs at an odd size."""
import os

import pytest
import torch

from seg_engine.checkpoint import WEIGHT_CONVERTERS
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
load_plugin(PROJECT)

RECIPE = os.path.join(PROJECT, "configs", "ade20k", "pspnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml")
MMSEG_PARAMS = 68_811_916  # sum(p.numel()) of mmsegmentation's model with 150 classes


def test_the_jpu_recipe_has_mmsegs_parameter_count_and_strides():
    cfg = get_cfg()
    cfg.merge_from_file(RECIPE)
    cfg.merge_from_list(["MODEL.DEVICE", "meta", "MODEL.WEIGHTS", ""])
    with torch.device("meta"):
        model = build_model(cfg)
    assert sum(p.numel() for p in model.parameters()) == MMSEG_PARAMS
    assert model.backbone.layer4[0].conv2.stride == (2, 2) and model.backbone.layer4[0].conv2.dilation == (2, 2)


def test_without_a_neck_it_points_to_mmseg_pspnet():
    with pytest.raises(KeyError, match="no JPU neck; use mmseg_pspnet"):
        WEIGHT_CONVERTERS.get("mmseg_fastfcn_psp")({"decode_head.conv_seg.weight": torch.zeros(1)})


def test_jpu_model_runs_at_an_odd_size():
    cfg = get_cfg()
    cfg.merge_from_file(RECIPE)
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", "", "MODEL.NUM_CLASSES", "3", "MODEL.RESNETS.DEPTH", "18",
                         "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.RESNETS.STEM_WIDTH", "0", "MODEL.PSP.JPU_WIDTH", "8",
                         "MODEL.HEAD.CHANNELS", "8", "MODEL.PSP.REDUCTION_CHANNELS", "4", "MODEL.AUX_HEAD.CHANNELS", "4"])
    model = build_model(cfg)
    sample = {"image": torch.randint(0, 256, (3, 65, 97), dtype=torch.uint8), "sem_seg": torch.randint(0, 3, (65, 97)),
              "height": 65, "width": 97}
    model.train()
    losses = model([sample, sample])
    assert set(losses) == {"loss_sem_seg", "loss_aux"} and all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        assert model([sample])[0]["sem_seg"].shape == (3, 65, 97)
