"""torchvision's ImageNet ResNets load into the RefineNet backbone unchanged (no converter)."""
import os

import torch
import torchvision

from seg_engine.checkpoint import Checkpointer
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))


def refinenet_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(os.path.dirname(HERE), "configs", "Base-RefineNet.yaml"))
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", *opts])
    return cfg


def test_resnet101_keys_and_shapes_are_torchvisions():
    with torch.device("meta"):
        tv = torchvision.models.resnet101()
        model = build_model(refinenet_cfg("MODEL.DEVICE", "meta"))
    theirs = {f"backbone.{k}": tuple(v.shape) for k, v in tv.state_dict().items() if not k.startswith("fc.")}
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items() if k.startswith("backbone.")}
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
