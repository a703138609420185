"""d2_mask2former and the authors' .pkl reader: every key of the authors' model maps one to one onto the
recipe's, the file loads without running code, and the conversion tool writes a checkpoint MODEL.WEIGHTS loads.

data/d2_mask2former_r50_keys.txt lists the state_dict of the authors' MaskFormer built from
configs/ade20k/semantic-segmentation/maskformer2_R50_bs16_160k.yaml (facebookresearch/Mask2Former @9b0651c).
"""
import os
import pickle

import numpy as np
import pytest
import torch

from seg_engine.checkpoint import Checkpointer, convert_weights
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, num_params, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
load_plugin(PROJECT)

from seg_engine_projects.mask2former.convert_d2 import main as convert_d2  # noqa: E402
from seg_engine_projects.mask2former.converters.d2 import read_d2_pkl  # noqa: E402

R50_D2 = os.path.join(PROJECT, "configs", "ade20k", "mask2former_R50_512x512_160k_ade20k_d2.yaml")
SHAPES = os.path.join(PROJECT, "configs", "shapes", "mask2former_R18_shapes.yaml")
AUTHORS_R50_PARAMETERS = 43_988_247


def test_every_authors_key_maps_once_and_the_parameter_counts_agree():
    ref = read_key_table(os.path.join(HERE, "data", "d2_mask2former_r50_keys.txt"))
    assert len(ref) == 558
    model = build_on_meta(load_config(R50_D2))
    assert num_params(model) == AUTHORS_R50_PARAMETERS
    source = map_key_table(ref, "d2_mask2former", state_shapes(model))
    assert sorted(source.values()) == sorted(set(ref) - {"criterion.empty_weight"})
    converted = convert_weights({k: k for k in ref}, "d2_mask2former")
    assert converted["backbone.bn1.running_var"] == "backbone.stem.conv1.norm.running_var"
    assert converted["backbone.layer4.2.bn3.weight"] == "backbone.res5.2.conv3.norm.weight"
    assert converted["backbone.layer1.0.downsample.0.weight"] == "backbone.res2.0.shortcut.weight"
    assert converted["neck.level_embed"] == "sem_seg_head.pixel_decoder.transformer.level_embed"
    assert converted["neck.lateral_convs.0.1.bias"] == "sem_seg_head.pixel_decoder.adapter_1.norm.bias"
    assert converted["neck.output_convs.0.0.weight"] == "sem_seg_head.pixel_decoder.layer_1.weight"
    p = "sem_seg_head.predictor."
    assert converted["decode_head.layers.8.cross_attn.in_proj_weight"] == \
        p + "transformer_cross_attention_layers.8.multihead_attn.in_proj_weight"
    assert converted["decode_head.layers.3.ffn_norm.bias"] == p + "transformer_ffn_layers.3.norm.bias"
    assert converted["decode_head.layers.3.linear2.weight"] == p + "transformer_ffn_layers.3.linear2.weight"
    assert converted["decode_head.mask_embed.layers.1.weight"] == p + "mask_embed.layers.1.weight"


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_the_pkl_reader_takes_numpy_arrays_and_refuses_anything_else(tmp_path):
    good = tmp_path / "good.pkl"
    with open(good, "wb") as f:
        pickle.dump({"model": {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.int64(3)},
                     "__author__": "x"}, f)
    state = read_d2_pkl(str(good))
    assert torch.equal(state["a"], torch.arange(6.0).view(2, 3)) and state["b"].item() == 3
    bad = tmp_path / "bad.pkl"
    with open(bad, "wb") as f:
        pickle.dump({"model": {"a": Evil()}}, f)
    with pytest.raises(ValueError, match="refusing to load posix.system|refusing to load os.system|refusing to load nt.system"):
        read_d2_pkl(str(bad))


def test_the_conversion_tool_writes_a_checkpoint_that_loads_whole(tmp_path, capsys):
    """A narrow model saved in the authors' layout (our keys renamed back) and converted by the tool."""
    torch.manual_seed(0)
    model = build_model(load_config(SHAPES, "MODEL.DEVICE", "cpu", "MODEL.RESNETS.NORM", "FrozenBN"))
    ours = model.state_dict()
    ref_keys = read_key_table(os.path.join(HERE, "data", "d2_mask2former_r50_keys.txt"))
    back = {}
    for theirs, mine in convert_weights({k: k for k in ref_keys}, "d2_mask2former").items():
        if theirs in ours:  # the narrow model has 3 decoder layers and 2 encoder layers
            back[mine] = ours[theirs].numpy()
    path = tmp_path / "model_final.pkl"
    with open(path, "wb") as f:
        pickle.dump({"model": back, "__author__": "test"}, f)
    assert convert_d2([str(path), str(tmp_path / "out.pth")]) == 0
    assert "wrote" in capsys.readouterr().out
    fresh = build_model(load_config(SHAPES, "MODEL.DEVICE", "cpu", "MODEL.RESNETS.NORM", "FrozenBN"))
    Checkpointer(fresh).load_for_inference(str(tmp_path / "out.pth"))
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, ours[k]), k
    assert convert_d2([str(tmp_path / "missing.pkl"), str(tmp_path / "x.pth")]) == 2
    assert "missing.pkl" in capsys.readouterr().err


def test_the_authors_swin_t_keys_map_once_less_the_position_index_buffers():
    ref = read_key_table(os.path.join(HERE, "data", "d2_mask2former_swin-t_keys.txt"))
    assert len(ref) == 482
    model = build_on_meta(load_config(R50_D2.replace("R50", "swin-t")))
    assert num_params(model) == 47_439_633  # the authors' count (data table header)
    source = map_key_table(ref, "d2_mask2former", state_shapes(model))
    dropped = {k for k in ref if k.endswith("relative_position_index") or k == "criterion.empty_weight"}
    assert len(dropped) == 12 + 1
    assert sorted(source.values()) == sorted(set(ref) - dropped)
