"""DeepLabv3+ on the aligned Xception (core backbone): a narrow Xception-65 trains and evaluates at odd
sizes, and the test-time output stride re-dilates it like a model built at that stride."""
import os
import sys

import torch

from seg_engine.modeling import build_model
from seg_engine.utils.testing import image_batch as batch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_test_helpers import config

RECIPE = "ade20k/deeplabv3plus_xception65_ade20k_seed.yaml"
TINY = ["MODEL.WEIGHTS", "", "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.XCEPTION.WIDTH_DIVISOR", "8",
        "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8",
        "MODEL.ASPP.RATES", "(2, 4, 6)"]


def tiny(*opts):
    torch.manual_seed(0)
    return build_model(config(RECIPE, *TINY, *opts))


def test_tiny_xception65_deeplabv3plus_trains_and_evaluates_at_an_odd_size():
    model = tiny("MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "8").train()
    assert type(model.backbone).__name__ == "Xception"
    assert model.decode_head.low_level[0].in_channels == 256 // 8
    losses = model(batch((65, 97), (47, 71), with_masks=True))
    assert set(losses) == {"loss_sem_seg", "loss_aux"}
    sum(losses.values()).backward()
    assert next(model.backbone.stem.parameters()).grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.decode_head.parameters())
    built_at_8 = tiny("MODEL.XCEPTION.OUTPUT_STRIDE", "8", "MODEL.ASPP.RATES", "(4, 8, 12)")
    built_at_8.load_state_dict(model.state_dict())
    model.eval(), built_at_8.eval()
    assert model.decode_head.aspp.rates == [4, 8, 12]
    x = torch.randn(1, 3, 65, 97)
    with torch.no_grad():
        assert torch.equal(model.predict_logits(x), built_at_8.predict_logits(x))
        outputs = model(batch((65, 97)))
    assert outputs[0]["sem_seg"].shape == (5, 65, 97)
