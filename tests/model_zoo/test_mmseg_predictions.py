"""The label-map check against mmsegmentation (tools/model_zoo.py --compare-mmseg): its images and the mmsegmentation
config it picks for a row. The comparison itself needs mmsegmentation and minutes of CPU; it runs by hand
(docs/model_zoo.md, "The same predictions as mmsegmentation")."""
import os
import sys

import numpy as np
import pytest

from seg_engine.data.io import read_image
from seg_engine.model_zoo import trained
from seg_engine.model_zoo.mmseg_predictions import IMAGE_SIZES, mmseg_config_of, write_test_images
from seg_engine.utils.testing import load_tool


def test_the_test_images_have_odd_sizes_and_read_back_as_written(tmp_path):
    paths = write_test_images(str(tmp_path))
    assert [read_image(p).shape[:2] for p in paths] == list(IMAGE_SIZES) and len(paths) >= 5
    assert all(h % 2 and w % 2 for h, w in IMAGE_SIZES)
    again = write_test_images(str(tmp_path / "again"))
    for a, b in zip(paths, again):  # the same seed gives the same pixels; each image has more than flat colour
        image = read_image(a)
        assert np.array_equal(image, read_image(b)) and len(np.unique(image.reshape(-1, 3), axis=0)) > 100


def test_a_row_names_its_config_in_the_installed_mmsegmentation():
    pytest.importorskip("mmseg", reason="mmsegmentation is a parity reference, not a dependency")
    config = mmseg_config_of(trained.trained_model("pspnet_r50-d8_4xb4-80k_ade20k-512x512"))
    assert config.endswith(os.path.join("configs", "pspnet", "pspnet_r50-d8_4xb4-80k_ade20k-512x512.py"))
    assert os.path.isfile(config)
    segformer = mmseg_config_of(trained.trained_model("segformer_mit-b0_8xb2-160k_ade20k-512x512"))  # hand-written row
    assert segformer.endswith(os.path.join("configs", "segformer", "segformer_mit-b0_8xb2-160k_ade20k-512x512.py"))


def test_a_row_from_elsewhere_is_refused_by_name():
    row = next(r for r in trained.trained_models().values() if r.name.startswith("fcn_resnet50."))
    with pytest.raises(ValueError, match=r"^fcn_resnet50\.COCO_WITH_VOC_LABELS_V1 does not come from an mmsegmentation metafile"):
        mmseg_config_of(row)


def test_an_unknown_name_or_missing_mmsegmentation_is_one_line(monkeypatch, capsys):
    tool = load_tool("model_zoo")
    assert tool.main(["--compare-mmseg", "no_such_model"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("model_zoo.py: error: zoo://no_such_model names no weights")
    monkeypatch.setitem(sys.modules, "mmcv", None)  # as if not installed, even where it is
    monkeypatch.setitem(sys.modules, "mmseg", None)
    assert tool.main(["--compare-mmseg", "pspnet_r50-d8_4xb4-80k_ade20k-512x512"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install mmengine mmsegmentation==1.2.2" in err[0]
