"""The core FCNHead: convs, then (CONCAT_INPUT, mmsegmentation's concat_input) a conv over [input, convs' output]."""
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import ShapeSpec, build_head


def head(concat_input, num_convs=2):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "3", "MODEL.HEAD.IN_FEATURES", "['res5']", "MODEL.HEAD.CHANNELS", "4",
                         "MODEL.HEAD.NUM_CONVS", str(num_convs), "MODEL.HEAD.CONCAT_INPUT", str(concat_input)])
    torch.manual_seed(0)
    return build_head(cfg, cfg.MODEL.HEAD, {"res5": ShapeSpec(channels=6, stride=8)}).eval()


def test_concat_input_adds_a_conv_over_the_input_and_the_convs_output():
    plain, concat = head(False), head(True)
    assert plain.conv_cat is None and len(plain.convs) == 2
    assert concat.conv_cat[0].in_channels == 6 + 4 and concat.conv_cat[0].out_channels == 4
    n = sum(p.numel() for p in concat.parameters()) - sum(p.numel() for p in plain.parameters())
    assert n == 10 * 4 * 9 + 2 * 4  # the 3x3 conv (no bias) and its BN
    x = torch.randn(2, 6, 5, 7)
    with torch.no_grad():
        expected = concat.classifier(concat.conv_cat(torch.cat([x, concat.convs(x)], dim=1)))
        assert torch.equal(concat({"res5": x}), expected)
