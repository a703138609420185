"""The RefineNet layouts beyond their key tables (tests/checkpoint/test_layouts.py): the Light-Weight layout
refuses a RefineNet checkpoint by naming its residual conv units."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin

load_plugin(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_light_weight_converter_refuses_refinenet_rcus():
    state = {"conv1.weight": torch.zeros(1), "adapt_stage1_b.0.1_conv.weight": torch.zeros(1)}
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: adapt_stage1_b.0.1_conv.weight"):
        convert_weights(state, "light_weight_refinenet")
