"""The solver's parameter groups for the SegFormer recipes against the references' optimizers, parameter by
parameter: LR scale and weight decay of the authors' and of mmsegmentation 1.2.2's paramwise_cfg (custom_keys:
"norm" no decay, "head" 10x the LR; the first key contained in the name wins). The tables under tests/data were
written once from mmengine's DefaultOptimWrapperConstructor on the reference models (see their headers). Where
today's solver cannot say the references' rule, the difference is pinned here, parameter by parameter."""
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
HEAD_BN = {"decode_head.fuse.1.weight", "decode_head.fuse.1.bias"}
MMSEG_HEAD_BN = HEAD_BN | {f"decode_head.embeds.{i}.1.{p}" for i in range(4) for p in ("weight", "bias")}
CLOSING_NORMS = {f"backbone.stages.{i}.norm.{p}" for i in range(4) for p in ("weight", "bias")}


def read_groups(name):
    with open(os.path.join(HERE, "data", name)) as f:
        return {line.split()[0]: tuple(float(v) for v in line.split()[1:]) for line in f if not line.startswith("#")}


def our_groups(recipe):
    """our parameter name -> (LR / BASE_LR, weight decay)."""
    cfg = load_config(os.path.join(CONFIGS, recipe))
    model = build_on_meta(cfg)
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: (g["lr"] / cfg.SOLVER.BASE_LR, g["weight_decay"]) for g in get_param_groups(model, cfg) for p in g["params"]}


def reference_names(key_table, converter, wrap=lambda s: s):
    """our key -> the reference key its tensor comes from: every reference tensor filled with its own index, so that
    one found in a slice (mmsegmentation's q/k/v), a reshape or a concatenation (transformers' key/value) still says
    where it came from."""
    keys = list(read_key_table(os.path.join(HERE, "data", key_table)).items())
    state = {k: torch.full(s, float(i)) for i, (k, s) in enumerate(keys)}
    return {ours: keys[int(t.flatten()[0])][0] for ours, t in convert_weights(wrap(state), converter).items()}


@pytest.mark.parametrize("recipe, table, key_table, converter, count, differ", [
    ("ade20k/segformer_mit-b0_512x512_160k_ade20k_nvlabs.yaml", "nvlabs_segformer_b0_param_groups.txt",
     "nvlabs_segformer_keys.txt", "nvlabs_segformer", 189, HEAD_BN),
    ("ade20k/segformer_mit-b0_512x512_160k_ade20k_mmseg.yaml", "mmseg_segformer_mit-b0_param_groups.txt",
     "mmseg_segformer_keys.txt", "mmseg_segformer", 193, MMSEG_HEAD_BN | CLOSING_NORMS),
])
def test_groups_equal_the_references_but_where_pinned(recipe, table, key_table, converter, count, differ):
    theirs, ours = read_groups(table), our_groups(recipe)
    names = reference_names(key_table, converter)
    # every reference parameter but the authors' unused conv_seg has a counterpart (q and kv share mmseg's in_proj)
    assert len(ours) == count and set(theirs) - set(map(names.get, ours)) <= {"decode_head.conv_seg.weight", "decode_head.conv_seg.bias"}
    different = {name for name, group in ours.items() if group != pytest.approx(theirs[names[name]], abs=1e-12)}
    assert different == differ
    # the head's norms, named bn/batch_norm there ("head" matches, "norm" does not): 10x the LR and decay 0.01
    # there, no decay here (SOLVER.WEIGHT_DECAY_NORM 0); mmsegmentation's closing norms (layers.<i>.2) decay there
    for name in different:
        assert theirs[names[name]] == pytest.approx((10.0 if name.startswith("decode_head.") else 1.0, 0.01))
        assert ours[name] == pytest.approx((theirs[names[name]][0], 0.0))
