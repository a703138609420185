"""torchvision's ImageNet ResNets load into the RefineNet backbone unchanged (no converter)."""
import os

import torch
import torchvision

from seg_engine.checkpoint import Checkpointer
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))


def refinenet_cfg(*opts):
    return load_config(os.path.join(os.path.dirname(HERE), "configs", "Base-RefineNet.yaml"), "MODEL.DEVICE", "cpu", *opts)


def test_resnet101_keys_and_shapes_are_torchvisions():
    with torch.device("meta"):
        tv = torchvision.models.resnet101()
    theirs = {f"backbone.{k}": s for k, s in state_shapes(tv).items() if not k.startswith("fc.")}
    ours = {k: s for k, s in state_shapes(build_on_meta(refinenet_cfg())).items() if k.startswith("backbone.")}
    assert ours == theirs


def test_a_torchvision_checkpoint_loads_through_model_weights(tmp_path):
    torch.manual_seed(0)
    state = torchvision.models.resnet18().state_dict()
    path = str(tmp_path / "resnet18.pth")
    torch.save(state, path)
    cfg = refinenet_cfg("MODEL.RESNETS.DEPTH", "18", "MODEL.HEAD.CHANNELS", "8", "MODEL.REFINENET.TOP_CHANNELS", "8",
                        "MODEL.WEIGHTS", path)
    model = build_model(cfg)
    Checkpointer(model).load(cfg.MODEL.WEIGHTS, checkpointables=[])
    loaded = model.state_dict()
    backbone = {k: v for k, v in state.items() if not k.startswith("fc.")}
    assert len(backbone) == len([k for k in loaded if k.startswith("backbone.")])
    assert all(torch.equal(loaded[f"backbone.{k}"], v) for k, v in backbone.items())
