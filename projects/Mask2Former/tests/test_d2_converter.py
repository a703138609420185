"""The authors' layouts and .pkl reader: the parameter counts agree, the Swin layout drops the index buffers, the file
loads without running code, and the conversion tool writes a checkpoint MODEL.WEIGHTS loads.

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
from seg_engine.utils.testing import build_on_meta, load_config, num_params, read_key_table

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
load_plugin(PROJECT)

from seg_engine_projects.mask2former.convert_d2 import main as convert_d2  # noqa: E402
from seg_engine_projects.mask2former.converters.d2 import read_d2_pkl  # noqa: E402

R50_D2 = os.path.join(PROJECT, "configs", "ade20k", "mask2former_r50_512x512_160k_ade20k_d2.yaml")
SHAPES = os.path.join(PROJECT, "configs", "shapes", "mask2former_r18_shapes.yaml")
AUTHORS_R50_PARAMETERS = 43_988_247


def test_the_authors_parameter_counts_are_ours():
    """The key-by-key mapping of both tables is tests/checkpoint/test_layouts.py's (d2_mask2former and
    d2_mask2former_swin)."""
    assert num_params(build_on_meta(load_config(R50_D2))) == AUTHORS_R50_PARAMETERS
    assert num_params(build_on_meta(load_config(R50_D2.replace("r50", "swin-t")))) == 47_439_633  # the table's header
    assert "43988247 parameters" in open(os.path.join(HERE, "data", "d2_mask2former_r50_keys.txt")).read()


def test_the_swin_layout_leaves_out_the_position_index_buffers_and_refuses_a_resnet():
    ref = read_key_table(os.path.join(HERE, "data", "d2_mask2former_swin-t_keys.txt"))
    converted = convert_weights({k: torch.empty(s, device="meta") for k, s in ref.items()}, "d2_mask2former_swin")
    dropped = {k for k in ref if k.endswith("relative_position_index") or k == "criterion.empty_weight"}
    assert len(dropped) == 12 + 1 and len(converted) == len(ref) - len(dropped)
    resnet = read_key_table(os.path.join(HERE, "data", "d2_mask2former_r50_keys.txt"))
    with pytest.raises(KeyError, match="checkpoint keys match no rule of this layout"):
        convert_weights({k: torch.empty(s, device="meta") for k, s in resnet.items()}, "d2_mask2former_swin")


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
