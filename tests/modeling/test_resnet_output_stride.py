"""ResNet's multi-grid (MODEL.RESNETS.MULTI_GRID) and set_output_stride, which re-dilates in place."""
import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import ResNet, build_resnet_backbone


def res5_dilations(model):
    return [block.conv2.dilation[0] for block in model.layer4]


@pytest.mark.parametrize("output_stride, expected", [(32, [1, 2, 4]), (16, [2, 4, 8]), (8, [4, 8, 16])])
def test_multi_grid_multiplies_the_stage_rate_of_every_res5_block(output_stride, expected):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.RESNETS.BASE_WIDTH", "4", "MODEL.RESNETS.OUTPUT_STRIDE", str(output_stride),
                         "MODEL.RESNETS.FIRST_BLOCK_DILATION", "half", "MODEL.RESNETS.MULTI_GRID", "(1, 2, 4)"])
    model = build_resnet_backbone(cfg)
    assert res5_dilations(model) == expected
    assert [b.conv2.padding[0] for b in model.layer4] == expected
    # res4 keeps its schedule: at OS 8 the first block at half the stage's dilation
    assert [b.conv2.dilation[0] for b in model.layer3][:2] == ([1, 2] if output_stride == 8 else [1, 1])


def test_multi_grid_needs_one_factor_per_res5_block():
    with pytest.raises(ValueError, match=r"MODEL.RESNETS.MULTI_GRID \(multi_grid\) .* \(3 for depth 50\), got \(1, 2\)"):
        ResNet(depth=50, base_width=4, multi_grid=(1, 2))


@pytest.mark.parametrize("depth, first, multi_grid", [(50, "half", (1, 2, 4)), (18, "full", ())])
@pytest.mark.parametrize("built, switched", [(16, 8), (8, 16), (32, 8)])
def test_set_output_stride_equals_a_network_built_at_that_stride(depth, first, multi_grid, built, switched):
    kwargs = dict(depth=depth, stem="basic", base_width=4, first_block_dilation=first, multi_grid=multi_grid[: 3 if depth == 50 else 2])
    torch.manual_seed(0)
    model = ResNet(output_stride=built, **kwargs).eval()
    reference = ResNet(output_stride=switched, **kwargs).eval()
    reference.load_state_dict(model.state_dict())
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    model.set_output_stride(switched)
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items()), "weights untouched"
    convs = lambda m: [(c.stride, c.dilation, c.padding) for c in m.modules() if isinstance(c, torch.nn.Conv2d)]
    assert convs(model) == convs(reference)
    assert model.output_shape() == reference.output_shape()
    x = torch.randn(1, 3, 65, 97)
    with torch.no_grad():
        out, ref = model(x), reference(x)
    assert {k: v.shape for k, v in out.items()} == {k: v.shape for k, v in ref.items()}
    assert all(torch.equal(out[k], ref[k]) for k in ref)
    assert out["res5"].shape[-2:] == ((65 - 1) // switched + 1, (97 - 1) // switched + 1)


def test_set_output_stride_refuses_an_unknown_stride():
    with pytest.raises(ValueError, match="output_stride.*got 4"):
        ResNet(depth=18, base_width=4).set_output_stride(4)
