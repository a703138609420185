"""The core FCNHead: convs (DILATION: mmsegmentation's fcn-d6), then (CONCAT_INPUT, mmsegmentation's concat_input) a
conv over [input, convs' output]."""
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import ShapeSpec, build_head


def head(concat_input, num_convs=2, dilation=1):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "3", "MODEL.HEAD.IN_FEATURES", "['res5']", "MODEL.HEAD.CHANNELS", "4",
                         "MODEL.HEAD.NUM_CONVS", str(num_convs), "MODEL.HEAD.CONCAT_INPUT", str(concat_input),
                         "MODEL.HEAD.DILATION", str(dilation)])
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


def test_dilation_dilates_the_convs_not_the_concat_conv():
    dilated = head(True, dilation=6)
    assert [(c[0].dilation, c[0].padding) for c in dilated.convs] == [((6, 6), (6, 6))] * 2
    assert (dilated.conv_cat[0].dilation, dilated.conv_cat[0].padding) == ((1, 1), (1, 1))
    plain = head(True)
    plain.load_state_dict(dilated.state_dict())  # the same parameters
    x = torch.randn(1, 6, 13, 15)
    with torch.no_grad():
        out = dilated({"res5": x})
        assert out.shape == (1, 3, 13, 15) and not torch.allclose(out, plain({"res5": x}))
        conv = dilated.convs[0][0]
        assert torch.equal(dilated.convs[0](x), dilated.convs[0][2](dilated.convs[0][1](
            torch.nn.functional.conv2d(x, conv.weight, None, padding=6, dilation=6))))
