"""get_param_groups: SOLVER.NO_DECAY_KEYS and SOLVER.LR_DECAY on small models (the UPerNet project checks both
against mmsegmentation's constructors parameter by parameter)."""
import pytest
import torch
from torch import nn

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import ConvNeXt
from seg_engine.solver import get_param_groups


class Model(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8))


def groups(model, *opts):
    cfg = get_cfg()
    cfg.merge_from_list(["SOLVER.BASE_LR", "0.1", "SOLVER.WEIGHT_DECAY", "0.05", "SOLVER.WEIGHT_DECAY_NORM", "0.05",
                         *[str(o) for o in opts]])
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: (g["lr"], g["weight_decay"]) for g in get_param_groups(model, cfg) for p in g["params"]}


def convnext():
    torch.manual_seed(0)
    return Model(ConvNeXt((1, 1, 2, 1), (8, 8, 8, 8), drop_path_rate=0.0))


def test_no_decay_keys_match_substrings_of_full_names_before_the_norm_and_bias_rules():
    out = groups(convnext(), "SOLVER.NO_DECAY_KEYS", "['gamma', 'norm']")
    assert out["backbone.stages.2.1.gamma"] == (0.1, 0.0)
    assert out["backbone.stages.2.1.norm.weight"] == (0.1, 0.0) and out["backbone.norm3.bias"] == (0.1, 0.0)
    assert out["backbone.stages.2.1.pwconv1.weight"] == (0.1, 0.05) and out["head.1.weight"] == (0.1, 0.05)
    assert groups(convnext())["backbone.stages.2.1.gamma"] == (0.1, 0.05)  # off by default


@pytest.mark.parametrize("decay_type, expected", [
    # depth d learns at 0.1 * 0.5 ** (4 + 1 - d) with NUM_LAYERS 4; the head and the output norms at depth 5
    ("stage_wise", {"backbone.downsample_layers.2.1.weight": 0, "backbone.stages.0.0.dwconv.weight": 1,
                    "backbone.stages.2.1.pwconv2.bias": 3, "backbone.stages.3.0.gamma": 4, "backbone.norm1.weight": 5,
                    "head.0.weight": 5}),
    ("layer_wise", {"backbone.downsample_layers.0.0.weight": 0, "backbone.downsample_layers.2.1.weight": 3,
                    "backbone.stages.1.0.dwconv.weight": 2, "backbone.stages.2.1.pwconv2.bias": 3,
                    "backbone.stages.3.0.gamma": 4, "backbone.norm1.weight": 5, "head.1.bias": 5}),
])
def test_lr_decay_scales_by_the_backbones_depths(decay_type, expected):
    out = groups(convnext(), "SOLVER.LR_DECAY.TYPE", decay_type, "SOLVER.LR_DECAY.RATE", "0.5", "SOLVER.LR_DECAY.NUM_LAYERS", "4")
    for name, depth in expected.items():
        assert out[name][0] == pytest.approx(0.1 * 0.5 ** (5 - depth)), name


def test_lr_decay_needs_a_backbone_that_numbers_its_layers_and_a_known_type():
    model = Model(nn.Conv2d(3, 8, 1))
    with pytest.raises(ValueError, match="SOLVER.LR_DECAY.TYPE 'layer_wise' needs a backbone that numbers its layers"):
        groups(model, "SOLVER.LR_DECAY.TYPE", "layer_wise")
    with pytest.raises(ValueError, match="SOLVER.LR_DECAY.TYPE must be one of"):
        groups(model, "SOLVER.LR_DECAY.TYPE", "depth_wise")
    assert set(groups(model).values()) == {(0.1, 0.05)}
