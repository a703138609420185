"""The solver's parameter groups for the UPerNet recipes equal mmsegmentation's, parameter by parameter: LR scale
and weight decay of LearningRateDecayOptimizerConstructor (ConvNeXt-T, stage-wise and layer-wise, 0.9 over 6
layers) and of the Swin recipe's custom_keys (no decay for norms and position-bias tables). The tables under
tests/data were written once from mmsegmentation 1.2.2's constructors (see their headers)."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.solver import get_param_groups
from seg_engine.utils.testing import build_on_meta, load_config, read_key_table

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))


def read_table(name):
    with open(os.path.join(HERE, "data", name)) as f:
        return {line.split()[0]: [float(v) for v in line.split()[1:]] for line in f if not line.startswith("#")}


def our_groups(recipe, *opts):
    """our parameter name -> (LR / BASE_LR, weight decay)."""
    cfg = load_config(os.path.join(CONFIGS, recipe), *opts)
    model = build_on_meta(cfg)
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: (g["lr"] / cfg.SOLVER.BASE_LR, g["weight_decay"]) for g in get_param_groups(model, cfg) for p in g["params"]}


def mmseg_names(key_table, layout):
    """our name -> mmseg's, through the converter applied to meta tensors of the reference's key table; the
    patch-merging weights it reorders (new tensors) keep their names but for stages -> layers."""
    tensors = {k: torch.empty(s, device="meta") for k, s in read_key_table(os.path.join(HERE, "data", key_table)).items()}
    source = {id(t): k for k, t in tensors.items()}
    converted = convert_weights(tensors, layout)
    return {k: source.get(id(t), k.replace("backbone.layers.", "backbone.stages.")) for k, t in converted.items()}


@pytest.mark.parametrize("decay_type, column", [("stage_wise", 0), ("layer_wise", 2)])
def test_convnext_lr_decay_equals_mmsegs_constructor(decay_type, column):
    table = read_table("mmseg_convnext-t_lr_decay_groups.txt")
    ours = our_groups("ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml", "SOLVER.LR_DECAY.TYPE", decay_type)
    names = mmseg_names("mmseg_upernet_convnext-t_150_keys.txt", "mmseg_upernet_convnext")
    assert len(ours) == len(table) == 229
    for name, (scale, decay) in ours.items():
        expected = table[names[name]]
        assert scale == pytest.approx(expected[column], rel=1e-9), name
        assert decay == pytest.approx(expected[1], abs=1e-12), name
    # as many (LR, decay) groups as mmseg: 6 depths x 2 stage-wise, 8 x 2 layer-wise
    assert len(set(ours.values())) == len({(row[column], row[1]) for row in table.values()}) == (12 if column == 0 else 16)


def test_swin_no_decay_keys_equal_mmsegs_custom_keys():
    table = read_table("mmseg_swin-t_param_groups.txt")
    ours = our_groups("ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml")
    names = mmseg_names("mmseg_upernet_swin-t_150_keys.txt", "mmseg_upernet_swin")
    assert len(ours) == len(table) == 220
    for name, (scale, decay) in ours.items():
        assert [scale, decay] == pytest.approx(table[names[name]], abs=1e-12), name
    # the head's BatchNorms are named bn in mmseg ("norm" does not match): they decay there and here
    assert ours["decode_head.bottleneck.1.weight"] == (1.0, 0.01)
    assert ours["backbone.layers.1.blocks.0.attn.relative_position_bias_table"] == (1.0, 0.0)
