"""visualize_data: image | mask | overlay pictures, reproducible from the seed."""
import numpy as np
from PIL import Image

from seg_engine.config import get_cfg
from seg_engine.data.visualize import visualize_data
from seg_engine.utils.visualizer import IGNORE_COLOUR


def cfg_with(*opts):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "7", "DATALOADER.NUM_WORKERS", "0", *opts])
    return cfg


def test_same_seed_same_files_and_ignore_in_its_own_colour(tmp_path):
    # A crop larger than the 96 x 96 images pads with the ignore label.
    cfg = cfg_with("INPUT.TRAIN.CROP_SIZE", "(120, 120)", "INPUT.TRAIN.RATIO_RANGE", "(1.0, 1.0)", "SEED", "3")
    a = visualize_data(cfg, str(tmp_path / "a"), "dataloader", 3, progress=False)
    b = visualize_data(cfg, str(tmp_path / "b"), "dataloader", 3, progress=False)
    assert len(a) == 3 and [open(p, "rb").read() for p in a] == [open(p, "rb").read() for p in b]
    picture = np.asarray(Image.open(a[0]))
    assert picture.shape == (120, 360, 3)
    mask_panel = picture[:, 120:240].reshape(-1, 3)
    assert (mask_panel == IGNORE_COLOUR).all(axis=1).any()
    other = visualize_data(cfg_with("INPUT.TRAIN.CROP_SIZE", "(120, 120)", "SEED", "4"), str(tmp_path / "c"),
                           "dataloader", 3, progress=False)
    assert [open(p, "rb").read() for p in other] != [open(p, "rb").read() for p in a]


def test_annotation_source_shows_the_stored_image(tmp_path):
    from seg_engine.data import DatasetCatalog
    from seg_engine.data.io import read_image

    files = visualize_data(cfg_with(), str(tmp_path), "annotation", 2, progress=False)
    first = DatasetCatalog.get("shapes_train")[0]["file_name"]
    np.testing.assert_array_equal(np.asarray(Image.open(files[0]))[:, :96], read_image(first))
