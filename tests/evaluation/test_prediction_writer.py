"""--save-predictions: label PNGs in the benchmark servers' formats, for test splits without masks too."""
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from seg_engine.data import DatasetCatalog
from seg_engine.data.datasets.cityscapes import load_cityscapes
from seg_engine.evaluation.prediction_writer import SemSegPredictionWriter, train_id_lut
from seg_engine.utils.testing import load_train_net


def test_formats():
    assert train_id_lut("raw", 19) is None
    assert train_id_lut("ade20k", 150)[[0, 149]].tolist() == [1, 150]
    assert train_id_lut("cityscapes", 19).tolist() == [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]
    with pytest.raises(ValueError, match="--submission-format must be one of"):
        train_id_lut("coco", 3)


def test_writer_maps_train_ids_of_cityscapes_auto(tmp_path):
    writer = SemSegPredictionWriter("cityscapes_fine_test", str(tmp_path))
    writer.reset()
    scores = torch.zeros(19, 2, 3)
    scores[0, 0], scores[18, 1] = 1, 1  # train ids 0 (road) and 18 (bicycle)
    writer.process([{"file_name": "/x/berlin/berlin_000001_000019_leftImg8bit.png"}], [{"sem_seg": scores}])
    saved = np.asarray(Image.open(tmp_path / "berlin_000001_000019_leftImg8bit.png"))
    assert writer.fmt == "cityscapes" and saved.tolist() == [[7, 7, 7], [33, 33, 33]]


def test_cityscapes_test_split_has_images_only(tmp_path):
    folder = tmp_path / "cityscapes" / "leftImg8bit" / "test" / "bonn"
    folder.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(folder / "bonn_000000_000019_leftImg8bit.png")
    assert load_cityscapes("test", str(tmp_path)) == [{"file_name": str(folder / "bonn_000000_000019_leftImg8bit.png")}]


def test_eval_only_on_a_folder_split_without_masks(tiny_demo_run, tmp_path):
    """A folder dataset's test split of images alone: --eval-only predicts it, evaluates nothing."""
    images = tmp_path / "data" / "images" / "test"
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)).save(images / f"t{i}.jpg")
    tn = load_train_net()
    classes = "['background', 'circle', 'rectangle', 'triangle', 'ring', 'cross', 'star']"
    out, preds = tmp_path / "eval", tmp_path / "preds"
    args = tn.default_argument_parser().parse_args([
        "--config-file", tiny_demo_run["config"], "--eval-only", "--save-predictions", str(preds),
        "MODEL.WEIGHTS", tiny_demo_run["weights"], "OUTPUT_DIR", str(out), "DATALOADER.NUM_WORKERS", "0",
        "DATASETS.FOLDER.NAME", "mine", "DATASETS.FOLDER.ROOT", str(tmp_path / "data"),
        "DATASETS.FOLDER.CLASSES", classes, "DATASETS.TEST", "('mine_test',)"])
    assert tn.main(args) == {}
    assert sorted(os.listdir(preds)) == ["t0.png", "t1.png", "t2.png"]
    labels = np.asarray(Image.open(preds / "t1.png"))
    assert labels.shape == (40, 52) and labels.max() < 7
    assert json.load(open(out / "eval_results.json")) == {}
    DatasetCatalog.remove("mine_train"), DatasetCatalog.remove("mine_val"), DatasetCatalog.remove("mine_test")
