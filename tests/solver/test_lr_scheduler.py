import math

import pytest
import torch
from torch import nn

from seg_engine.config import get_cfg
from seg_engine.solver import build_lr_scheduler, build_optimizer, get_param_groups


def lrs_over_training(cfg, model=None):
    model = model or nn.Linear(2, 2)
    opt = build_optimizer(cfg, model)
    sched = build_lr_scheduler(cfg, opt)
    lrs = []
    for _ in range(cfg.SOLVER.MAX_ITER):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return lrs


def test_poly_matches_formula_and_min_lr():
    cfg = get_cfg()
    cfg.SOLVER.merge_from_list(["MAX_ITER", "100", "BASE_LR", "0.01", "POLY_POWER", "0.9", "MIN_LR", "1e-4"])
    lrs = [x[0] for x in lrs_over_training(cfg)]
    for it in (0, 10, 50, 99):
        expected = (0.01 - 1e-4) * (1 - it / 100) ** 0.9 + 1e-4
        assert lrs[it] == pytest.approx(expected, rel=1e-9)


def test_linear_warmup_scales_the_schedule():
    cfg = get_cfg()
    cfg.SOLVER.merge_from_list(["MAX_ITER", "100", "BASE_LR", "0.1", "WARMUP_ITERS", "10", "WARMUP_FACTOR", "0.1"])
    lrs = [x[0] for x in lrs_over_training(cfg)]
    assert lrs[0] == pytest.approx(0.1 * 0.1)
    assert lrs[5] == pytest.approx(0.1 * (1 - 0.05) ** 0.9 * (0.1 + 0.9 * 0.5))
    assert lrs[10] == pytest.approx(0.1 * (1 - 0.1) ** 0.9)


def test_cosine_and_step():
    cfg = get_cfg()
    cfg.SOLVER.merge_from_list(["MAX_ITER", "100", "BASE_LR", "1.0", "LR_SCHEDULER_NAME", "cosine"])
    lrs = [x[0] for x in lrs_over_training(cfg)]
    assert lrs[50] == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    cfg.SOLVER.merge_from_list(["LR_SCHEDULER_NAME", "step", "STEPS", "(30, 60)", "GAMMA", "0.1"])
    lrs = [x[0] for x in lrs_over_training(cfg)]
    assert lrs[29] == pytest.approx(1.0) and lrs[30] == pytest.approx(0.1) and lrs[60] == pytest.approx(0.01)


def test_unknown_scheduler_is_an_error():
    cfg = get_cfg()
    cfg.SOLVER.LR_SCHEDULER_NAME = "linear"
    with pytest.raises(ValueError, match="LR_SCHEDULER_NAME"):
        lrs_over_training(cfg)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Conv2d(4, 2, 1)


def test_param_groups_head_multiplier_and_norm_decay():
    cfg = get_cfg()
    cfg.SOLVER.merge_from_list(
        ["BASE_LR", "0.01", "HEAD_LR_MULTIPLIER", "10.0", "WEIGHT_DECAY", "1e-4", "WEIGHT_DECAY_NORM", "0.0", "WEIGHT_DECAY_BIAS", "0.0"]
    )
    model = Net()
    groups = get_param_groups(model, cfg)
    lookup = {id(p): (g["lr"], g["weight_decay"]) for g in groups for p in g["params"]}
    assert lookup[id(model.backbone[0].weight)] == (0.01, 1e-4)
    assert lookup[id(model.backbone[0].bias)] == (0.01, 0.0)
    assert lookup[id(model.backbone[1].weight)] == (0.01, 0.0)
    assert lookup[id(model.head.weight)] == pytest.approx((0.1, 1e-4))
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    # The schedule keeps the 10x ratio in every iteration.
    cfg.SOLVER.MAX_ITER = 20
    for lrs in lrs_over_training(cfg, model):
        assert max(lrs) == pytest.approx(10 * min(lrs))


def test_bias_lr_factor_doubles_conv_biases_but_not_norms_and_skips_frozen_parameters():
    """The Caffe nets' lr_mult 2 on biases (FCN, SegNet); a fixed (requires_grad False) weight is left out."""
    cfg = get_cfg()
    cfg.SOLVER.merge_from_list(["BASE_LR", "0.01", "HEAD_LR_MULTIPLIER", "10.0", "BIAS_LR_FACTOR", "2.0",
                                "WEIGHT_DECAY_BIAS", "0.0"])
    model = Net()
    model.head.weight.requires_grad_(False)
    lookup = {id(p): g["lr"] for g in get_param_groups(model, cfg) for p in g["params"]}
    assert lookup[id(model.backbone[0].weight)] == 0.01
    assert lookup[id(model.backbone[0].bias)] == 0.02
    assert lookup[id(model.backbone[1].bias)] == 0.01  # a norm's bias
    assert lookup[id(model.head.bias)] == pytest.approx(0.2)
    assert id(model.head.weight) not in lookup


def test_step_without_steps_is_a_fixed_learning_rate():
    """Caffe's lr_policy "fixed" (the FCN recipes)."""
    cfg = get_cfg()
    cfg.SOLVER.merge_from_list(["MAX_ITER", "30", "BASE_LR", "1e-10", "LR_SCHEDULER_NAME", "step", "STEPS", "()"])
    assert {x[0] for x in lrs_over_training(cfg)} == {1e-10}


def test_adamw_and_unknown_optimizer():
    cfg = get_cfg()
    cfg.SOLVER.OPTIMIZER = "AdamW"
    assert isinstance(build_optimizer(cfg, nn.Linear(2, 2)), torch.optim.AdamW)
    cfg.SOLVER.OPTIMIZER = "Adam"
    with pytest.raises(ValueError, match="SOLVER.OPTIMIZER"):
        build_optimizer(cfg, nn.Linear(2, 2))
