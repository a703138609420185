"""timm_xception41/65/71 map every key of timm's aligned Xception (but its fc) once onto this backbone."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.modeling.backbone import Xception
from seg_engine.utils.testing import map_key_table, read_key_table, state_shapes

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def reference_table(depth):
    """key -> shape of timm's xception<depth>, from the table listed once from timm (data/)."""
    return read_key_table(os.path.join(DATA, f"timm_xception{depth}_keys.txt"))


def our_shapes(depth):
    with torch.device("meta"):
        model = Xception(depth)
    return {f"backbone.{k}": s for k, s in state_shapes(model).items()}


@pytest.mark.parametrize(
    "depth, num_keys, examples",
    [
        (41, 506, {"backbone.middle_flow.7.conv3.bn_pw.bias": "blocks.10.stack.conv3.bn_pw.bias",
                   "backbone.exit_flow.0.shortcut.1.running_var": "blocks.11.shortcut.bn.running_var"}),
        (65, 794, {"backbone.stem.1.0.weight": "stem.1.conv.weight",
                   "backbone.stem.0.1.running_mean": "stem.0.bn.running_mean",
                   "backbone.entry_flow.1.shortcut.0.weight": "blocks.1.shortcut.conv.weight",
                   "backbone.middle_flow.0.conv1.conv_dw.weight": "blocks.3.stack.conv1.conv_dw.weight",
                   "backbone.middle_flow.15.conv2.conv_pw.weight": "blocks.18.stack.conv2.conv_pw.weight",
                   "backbone.exit_flow.1.conv3.bn_pw.weight": "blocks.20.stack.conv3.bn_pw.weight"}),
        (71, 878, {"backbone.entry_flow.4.shortcut.0.weight": "blocks.4.shortcut.conv.weight",
                   "backbone.middle_flow.0.conv1.conv_dw.weight": "blocks.5.stack.conv1.conv_dw.weight",
                   "backbone.exit_flow.1.conv1.bn_dw.bias": "blocks.22.stack.conv1.bn_dw.bias"}),
    ],
)
def test_every_timm_key_maps_once_onto_a_backbone_key_of_the_same_shape(depth, num_keys, examples):
    ref = reference_table(depth)
    assert len(ref) == num_keys
    source = map_key_table(ref, f"timm_xception{depth}", our_shapes(depth), wrap=lambda state: {"state_dict": state})
    assert sorted(source.values()) == sorted(k for k in ref if not k.startswith("head.fc.")), "all but the fc, each once"
    assert {k: source[k] for k in examples} == examples


def test_a_checkpoint_of_another_depth_is_refused():
    state = {k: torch.zeros(()) for k in reference_table(71)}
    message = "78 checkpoint keys match no rule of this layout: blocks.21.shortcut.conv.weight"
    with pytest.raises(KeyError, match=message):
        convert_weights(state, "timm_xception65")


def test_a_timm_file_loads_into_a_model_through_the_checkpointer(tmp_path):
    """A narrow Xception-41 stored in timm's layout (names from the table) trains from MODEL.WEIGHTS_FORMAT."""
    from seg_engine.checkpoint import Checkpointer
    from seg_engine.config import get_cfg
    from seg_engine.modeling import build_model

    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.HEAD.CHANNELS", "8",
                         "MODEL.BACKBONE.NAME", "build_xception_backbone",
                         "MODEL.XCEPTION.DEPTH", "41", "MODEL.XCEPTION.WIDTH_DIVISOR", "8"])
    source = build_model(cfg).backbone.state_dict()
    tagged = {k: (k, None) for k in reference_table(41)}
    timm_name = {ours: theirs for ours, (theirs, _) in convert_weights(tagged, "timm_xception41").items()}
    timm_state = {timm_name[f"backbone.{k}"]: v.clone() for k, v in source.items()}
    timm_state.update({"head.fc.weight": torch.zeros(1000, 256), "head.fc.bias": torch.zeros(1000)})
    torch.save(timm_state, tmp_path / "xception41.pth")

    model = build_model(cfg)
    Checkpointer(model, weights_format="timm_xception41").load(str(tmp_path / "xception41.pth"), checkpointables=[])
    loaded = model.backbone.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in source.items())
    fresh = build_model(cfg).backbone.state_dict()
    assert not torch.equal(loaded["middle_flow.3.conv2.conv_pw.weight"], fresh["middle_flow.3.conv2.conv_pw.weight"])
