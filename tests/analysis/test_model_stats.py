"""Parameter tables, FLOPs and the views of the test protocols."""
import pytest
import torch
from collections import Counter

from seg_engine.analysis import count_flops, parameter_table, protocol_views
from seg_engine.analysis.model_stats import flop_analysis
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model


def tiny_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18",
                         "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8", *opts])
    return cfg


def test_parameter_table_sums_to_the_model():
    model = build_model(tiny_cfg("MODEL.BACKBONE.FREEZE_AT", "2"))
    rows = {name: (total, trainable) for name, total, trainable in parameter_table(model, depth=1)}
    assert rows[""][0] == sum(p.numel() for p in model.parameters())
    assert rows["backbone"][0] + rows["decode_head"][0] == rows[""][0]
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    assert frozen > 0 and rows[""][1] == rows[""][0] - frozen


def test_flops_of_a_fully_convolutional_model_grow_with_the_area():
    model = build_model(tiny_cfg()).eval()
    small, large = count_flops(model, (64, 64)), count_flops(model, (128, 128))
    head = model.decode_head.classifier
    assert small > 0 and large == pytest.approx(4 * small, rel=0.02)
    # The classifier alone: 1x1 conv over the OS-8 map, one multiply-add per weight per pixel.
    assert small > head.in_channels * head.out_channels * (64 // 8) ** 2


def test_attention_counts_its_two_products():
    class Attention(torch.nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v)

    q, k, v = torch.randn(2, 3, 10, 4), torch.randn(2, 3, 6, 4), torch.randn(2, 3, 6, 5)
    with torch.no_grad():
        # q @ k^T: 2 x 3 heads x 10 queries x 6 keys x 4 channels; softmax @ v: the same with v's 5 channels
        assert flop_analysis(Attention(), q, k, v).total() == 2 * 3 * 10 * 6 * 4 + 2 * 3 * 10 * 6 * 5


def test_protocol_views():
    cfg = tiny_cfg("TEST.MODE", "slide", "TEST.CROP_SIZE", "(64, 64)", "TEST.STRIDE", "(48, 48)", "TEST.FLIP", "True",
                   "TEST.SCALES", "(1.0, 0.5)")
    # 100 x 150: rows of windows at 0, 36 and columns at 0, 48, 86 -> 6; at 0.5 (50 x 75): padded to
    # 64 x 75, 1 x 2 windows; each with its flip.
    assert protocol_views(cfg, (100, 150)) == Counter({(64, 64): (6 + 2) * 2})
    whole = tiny_cfg("TEST.SCALES", "(0.5, 1.0)", "INPUT.TEST.RESIZE_MODE", "short_side", "INPUT.TEST.SHORT_SIDE", "80")
    assert protocol_views(whole, (100, 150)) == Counter({(80, 120): 1, (40, 60): 1})


@pytest.mark.slow
def test_pspnet_r50_flops_at_512():
    cfg = tiny_cfg("MODEL.META_ARCHITECTURE", "PSPNet", "MODEL.HEAD.NAME", "PPMHead", "MODEL.RESNETS.DEPTH", "50",
                   "MODEL.RESNETS.BASE_WIDTH", "64", "MODEL.HEAD.CHANNELS", "512", "MODEL.NUM_CLASSES", "150")
    with torch.no_grad():
        assert count_flops(build_model(cfg).eval(), (512, 512)) / 1e9 == pytest.approx(185, rel=0.05)
