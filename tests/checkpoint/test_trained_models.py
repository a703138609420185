"""Trained models by name, end to end through the loopback server: a test-only row of the trained zoo in
SegModel.from_pretrained, tools/predict.py --model and tools/train_net.py --eval-only --model; the row's converter
winning over MODEL.WEIGHTS_FORMAT; the licence notice; fine-tuning with another class count."""
import json
import logging
import os

import numpy as np
import pytest
import torch
from PIL import Image

from seg_engine import SegModel
from seg_engine.checkpoint import CheckpointError, Checkpointer
from seg_engine.checkpoint.errors import CheckpointMismatchError
from seg_engine.checkpoint.references import ZOO_WEIGHTS
from seg_engine.data import MetadataCatalog
from seg_engine.model_zoo import trained
from seg_engine.model_zoo.trained import TrainedModel, register_trained, trained_config
from seg_engine.modeling import build_model
from seg_engine.utils.testing import load_config, load_tool, load_train_net

DEMO = "seg_engine://Demo/fcn_shapes.yaml"
TINY = (("MODEL.DEVICE", "cpu"), ("MODEL.RESNETS.BASE_WIDTH", 8), ("MODEL.HEAD.CHANNELS", 16), ("MODEL.AUX_HEAD.CHANNELS", 8))
IMAGE = np.random.default_rng(0).integers(0, 256, (33, 49, 3), dtype=np.uint8)


@pytest.fixture
def zoo(monkeypatch, weights_server, weights_cache):
    """``add(name, state, **row)``: serve ``state`` and register a test-only row of the Demo recipe (tiny)."""
    monkeypatch.setattr(trained, "_registered", {})
    saved = dict(ZOO_WEIGHTS)

    def add(name, state, **fields):
        url = weights_server.serve(f"/zoo/{name}.pth", weights_server.torch_bytes(state))
        row = dict(name=name, project="Demo", url=url, converter="", recipe=DEMO, opts=TINY, dataset="shapes",
                   licence="CC0")
        row.update(fields)
        register_trained([TrainedModel(**row)])
        return url

    yield add
    ZOO_WEIGHTS.clear()
    ZOO_WEIGHTS.update(saved)


def tiny(seed: int, *opts):
    torch.manual_seed(seed)
    return build_model(load_config(DEMO, *[w for pair in TINY for w in map(str, pair)], *opts)).eval()


def predict(model, image=IMAGE):
    with torch.no_grad():
        tensor = torch.from_numpy(image.transpose(2, 0, 1).copy())
        return model([{"image": tensor, "height": image.shape[0], "width": image.shape[1]}])[0]["sem_seg"].argmax(0).numpy()


def test_from_pretrained_is_the_recipe_the_weights_the_classes_and_the_palette(zoo):
    source = tiny(1)
    zoo("test/fcn_shapes_tiny", {"model": source.state_dict()})
    model = SegModel.from_pretrained("test/fcn_shapes_tiny")
    assert np.array_equal(model.predict(IMAGE), predict(source))
    meta = MetadataCatalog.get("shapes_val")
    assert model.classes == list(meta.classes) and model.palette == [tuple(c) for c in meta.palette]
    assert (model.cfg.MODEL.WEIGHTS, model.cfg.MODEL.RESNETS.BASE_WIDTH) == ("zoo://test/fcn_shapes_tiny", 8)
    with pytest.raises(CheckpointError, match=r"^zoo://test/fcn_shapes_tinny names no weights \(closest: test/fcn_shapes_tiny"):
        SegModel.from_pretrained("test/fcn_shapes_tinny")


def test_the_rows_converter_wins_over_the_recipes_weights_format(zoo):
    """A recipe sets MODEL.WEIGHTS_FORMAT for its ImageNet weights; a trained model's file is in the row's layout."""
    source = tiny(2)
    zoo("test/raw_state", source.state_dict())  # a raw state dict: the converter decides how it loads
    target = tiny(3)
    Checkpointer(target, weights_format="mmseg_resnet_v1c").load_for_inference("zoo://test/raw_state")
    assert np.array_equal(predict(target), predict(source))
    cfg = trained_config("test/raw_state", ["MODEL.WEIGHTS_FORMAT", "mmseg_resnet_v1c"])  # even named last
    assert np.array_equal(SegModel(cfg).predict(IMAGE), predict(source))


def test_a_non_commercial_licence_is_logged_once_when_the_file_is_downloaded(zoo, caplog):
    zoo("test/nc", {"model": tiny(4).state_dict()}, licence="CC BY-NC 4.0 (non-commercial)")
    with caplog.at_level(logging.WARNING, logger="seg_engine.checkpoint.references"):
        Checkpointer(tiny(5)).load("zoo://test/nc")
        Checkpointer(tiny(6)).load("zoo://test/nc")
    notices = [r.getMessage() for r in caplog.records if "non-commercial" in r.getMessage()]
    assert notices == ["zoo://test/nc is for non-commercial use only (CC BY-NC 4.0 (non-commercial))"]


def test_fine_tuning_with_another_class_count_reinitialises_the_classifiers_only(zoo, caplog):
    source = tiny(7)
    zoo("test/seven_classes", {"model": source.state_dict()})
    cfg = trained_config("test/seven_classes", ["MODEL.NUM_CLASSES", "5"])
    torch.manual_seed(8)
    target = build_model(cfg)
    fresh = {k: v.clone() for k, v in target.state_dict().items()}
    with caplog.at_level(logging.INFO, logger="seg_engine.checkpoint.checkpointer"):
        Checkpointer(target, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load(cfg.MODEL.WEIGHTS)
    classifiers = {k for k, v in source.state_dict().items() if v.shape[:1] == (7,)}
    assert classifiers == {"decode_head.classifier.weight", "decode_head.classifier.bias", "aux_head.classifier.weight",
                           "aux_head.classifier.bias"}
    for key, value in target.state_dict().items():
        assert torch.equal(value, fresh[key] if key in classifiers else source.state_dict()[key]), key
    lines = [r.getMessage() for r in caplog.records if "initialised" in r.getMessage() or "Skip loading" in r.getMessage()
             or "not found in the checkpoint" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("Re-initialised for 5 classes (the checkpoint has 7): ")
    assert set(lines[0].split(": ", 1)[1].split(", ")) == classifiers
    with pytest.raises(CheckpointError, match="4 weights missing or of another shape"):  # evaluation needs them all
        Checkpointer(build_model(cfg)).load_for_inference("zoo://test/seven_classes")
    narrower = tiny(9, "MODEL.HEAD.CHANNELS", "12")  # a mismatch that is not a classifier stays an error
    with pytest.raises(CheckpointMismatchError, match=r"^decode_head\.convs\.0\.0\.weight has shape \(16, 64, 3, 3\) in the "
                                                      r"checkpoint, \(12, 64, 3, 3\) in the model; only the classifiers"):
        Checkpointer(narrower).load("zoo://test/seven_classes")


def test_predict_and_eval_only_take_a_model_by_name(zoo, tiny_demo_run, tmp_path):
    state = torch.load(tiny_demo_run["weights"], weights_only=True)["model"]
    zoo("test/demo_run", {"model": state}, opts=(("MODEL.RESNETS.BASE_WIDTH", 8), ("MODEL.HEAD.CHANNELS", 16),
                                                 ("MODEL.AUX_HEAD.CHANNELS", 8), ("MODEL.DEVICE", "cpu")))
    tool = load_tool("predict")
    Image.fromarray(IMAGE).save(tmp_path / "im.png")
    assert tool.run_tool(tool.main, tool.parser(), ["--model", "test/demo_run", "--input", str(tmp_path / "im.png"),
                                                    "--output", str(tmp_path / "out")]) == 0
    labels = np.asarray(Image.open(tmp_path / "out" / "labels" / "im.png"))
    assert np.array_equal(labels, SegModel.from_config(tiny_demo_run["config"], weights=tiny_demo_run["weights"]).predict(IMAGE))

    train_net = load_train_net()
    out = str(tmp_path / "eval")
    args = train_net.default_argument_parser().parse_args(
        ["--model", "test/demo_run", "--eval-only", "TEST.IMS_PER_BATCH", "1", "OUTPUT_DIR", out])
    train_net.main(args)
    with open(os.path.join(out, "eval_results.json")) as f:
        assert json.load(f)["sem_seg"]["mIoU"] == tiny_demo_run["results"]["sem_seg"]["mIoU"]
