"""Colour masks decoded through a palette from the config or a palette PNG, and the display palette."""
import os
import re
import uuid

import numpy as np
import pytest
from PIL import Image

from seg_engine.config import ConfigError, get_cfg, validate_values
from seg_engine.data.build import build_mapper
from seg_engine.data.datasets import register_folder_from_cfg
from seg_engine.data.io import UnknownColourError, UnreadableFileError, read_mask
from seg_engine.data.palette import colours_to_labels, display_palette

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKY, ROAD, CAR, VOID = (70, 130, 180), (128, 64, 128), (0, 0, 142), (0, 0, 0)


def colour_mask(ids, colours):
    return np.asarray(colours, np.uint8)[np.asarray(ids)]


def test_colours_decode_to_their_index_first_entry_winning():
    ids = np.array([[0, 1, 2], [2, 1, 0]])
    rgb = colour_mask(ids, [SKY, ROAD, CAR])
    np.testing.assert_array_equal(colours_to_labels(rgb, [SKY, ROAD, CAR]), ids)
    labels = colours_to_labels(rgb, [SKY, ROAD, CAR, SKY])  # a palette PNG repeats colours
    assert labels.dtype == np.uint8 and labels.tolist() == ids.tolist()


def test_unknown_colours_are_named_in_one_line_commonest_first():
    rgb = colour_mask(np.zeros((4, 5), int), [SKY])
    rgb[0, :3] = (1, 2, 3)
    rgb[1, 0] = (9, 9, 9)
    with pytest.raises(UnknownColourError) as error:
        colours_to_labels(rgb, [SKY, ROAD], "m.png")
    assert str(error.value) == (
        "mask m.png has 2 colour(s) that are not in the palette: (1, 2, 3) x 3 px, (9, 9, 9) x 1 px; add them to "
        "DATASETS.FOLDER.PALETTE (and LABEL_MAP them to the ignore label) or fix the masks")


def test_read_mask_decodes_rgb_and_rgba_only_with_colours(tmp_path):
    ids = np.array([[0, 1], [2, 2]])
    Image.fromarray(colour_mask(ids, [SKY, ROAD, CAR])).save(tmp_path / "rgb.png")
    Image.fromarray(colour_mask(ids, [SKY, ROAD, CAR])).convert("RGBA").save(tmp_path / "rgba.png")
    for name in ("rgb.png", "rgba.png"):
        assert read_mask(str(tmp_path / name), [SKY, ROAD, CAR]).tolist() == ids.tolist()
    with pytest.raises(UnreadableFileError, match="has mode RGB; .* or colours with DATASETS.FOLDER.PALETTE"):
        read_mask(str(tmp_path / "rgb.png"))
    Image.fromarray(ids.astype(np.uint8)).save(tmp_path / "ids.png")  # index masks stay values
    assert read_mask(str(tmp_path / "ids.png"), [SKY, ROAD, CAR]).tolist() == ids.tolist()


def folder_cfg(tmp_path, *opts):
    for split in ("train", "val"):
        (tmp_path / "images" / split).mkdir(parents=True)
        (tmp_path / "masks" / split).mkdir(parents=True)
        ids = np.array([[0, 0, 1, 1], [2, 2, 3, 3], [0, 1, 2, 3]])
        Image.fromarray(np.full((3, 4, 3), 90, np.uint8)).save(tmp_path / "images" / split / "a.jpg")
        Image.fromarray(colour_mask(ids, [SKY, ROAD, CAR, VOID])).save(tmp_path / "masks" / split / "a.png")
    cfg = get_cfg()
    cfg.merge_from_list(["DATASETS.FOLDER.NAME", f"colours_{uuid.uuid4().hex[:8]}", "DATASETS.FOLDER.ROOT", str(tmp_path),
                         "DATASETS.FOLDER.CLASSES", "['sky', 'road', 'car']", "MODEL.NUM_CLASSES", "3", *opts])
    validate_values(cfg)
    return cfg


def test_folder_dataset_with_colour_masks_and_a_void_colour(tmp_path):
    """Colour i is raw value i; the void colour listed after the classes goes to the ignore label."""
    cfg = folder_cfg(tmp_path, "DATASETS.FOLDER.PALETTE", str([SKY, ROAD, CAR, VOID]),
                     "DATASETS.FOLDER.LABEL_MAP", "{3: 255}")
    train, val, _ = register_folder_from_cfg(cfg)
    mapper = build_mapper(cfg, [val], is_train=False)
    sample = mapper({"file_name": str(tmp_path / "images" / "val" / "a.jpg"),
                     "sem_seg_file_name": str(tmp_path / "masks" / "val" / "a.png")})
    assert sample["sem_seg"].tolist() == [[0, 0, 1, 1], [2, 2, 255, 255], [0, 1, 2, 255]]
    assert display_palette(cfg, train)[:3] == [SKY, ROAD, CAR]


def test_palette_from_a_palette_png(tmp_path):
    index_mask = Image.fromarray(np.zeros((2, 2), np.uint8), mode="L").convert("P")
    flat = [c for colour in (SKY, ROAD, CAR, VOID) for c in colour]
    index_mask.putpalette(flat + [0] * (768 - len(flat)))
    index_mask.save(tmp_path / "voc_style.png")
    cfg = folder_cfg(tmp_path / "data", "DATASETS.FOLDER.PALETTE_FILE", str(tmp_path / "voc_style.png"),
                     "DATASETS.FOLDER.LABEL_MAP", "{3: 255}")
    _, val, _ = register_folder_from_cfg(cfg)
    mapper = build_mapper(cfg, [val], is_train=False)
    sample = mapper({"file_name": str(tmp_path / "data" / "images" / "val" / "a.jpg"),
                     "sem_seg_file_name": str(tmp_path / "data" / "masks" / "val" / "a.png")})
    assert sample["sem_seg"].tolist() == [[0, 0, 1, 1], [2, 2, 255, 255], [0, 1, 2, 255]]


def test_an_unknown_colour_stops_training_with_one_line(tmp_path, capsys):
    from seg_engine.utils.testing import load_train_net

    cfg = folder_cfg(tmp_path, "DATASETS.FOLDER.PALETTE", str([SKY, ROAD, CAR]))
    f = cfg.DATASETS.FOLDER
    code = load_train_net().cli([
        "--config-file", os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml"), "DATASETS.FOLDER.NAME", f.NAME, "DATASETS.FOLDER.ROOT", f.ROOT,
        "DATASETS.FOLDER.CLASSES", "['sky', 'road', 'car']", "DATASETS.FOLDER.PALETTE", str([SKY, ROAD, CAR]),
        "MODEL.NUM_CLASSES", "3", "DATASETS.TRAIN", f"('{f.NAME}_train',)", "DATASETS.TEST", "()",
        "SOLVER.IMS_PER_BATCH", "1", "SOLVER.MAX_ITER", "1", "INPUT.TRAIN.CROP_SIZE", "(3, 4)", "DATALOADER.NUM_WORKERS", "0",
        "MODEL.RESNETS.BASE_WIDTH", "8", "OUTPUT_DIR", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and err == [
        f"train_net: error: mask {tmp_path}/masks/train/a.png has 1 colour(s) that are not in the palette: (0, 0, 0) x 3 px; "
        "add them to DATASETS.FOLDER.PALETTE (and LABEL_MAP them to the ignore label) or fix the masks"]


@pytest.mark.parametrize("key, value, message", [
    ("DATASETS.FOLDER.PALETTE", "[[0, 0, 0], [300, 0, 0], [1, 1, 1]]",
     "DATASETS.FOLDER.PALETTE must be a list of [R, G, B] colours, each channel 0..255"),
    ("DATASETS.FOLDER.PALETTE", "[[0, 0, 0], [5, 5, 5], [0, 0, 0]]",
     "DATASETS.FOLDER.PALETTE must be a list of distinct colours ([0, 0, 0] is listed 2 times)"),
    ("DATASETS.FOLDER.PALETTE", "[[0, 0, 0], [5, 5, 5]]",
     "DATASETS.FOLDER.PALETTE must be at least one colour per class (3 in DATASETS.FOLDER.CLASSES)"),
    ("DATASETS.FOLDER.PALETTE_FILE", "/nowhere/palette.png", "DATASETS.FOLDER.PALETTE_FILE must be an existing palette PNG"),
    ("DATASETS.DISPLAY_PALETTE", "[[0, 0, 0]]", "DATASETS.DISPLAY_PALETTE must be empty or at least 3 colours"),
])
def test_palette_values_are_checked_in_one_line(tmp_path, key, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        folder_cfg(tmp_path, key, value)


def test_a_palette_file_that_is_not_a_palette_image_is_named(tmp_path):
    from seg_engine.data import DatasetError

    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "rgb.png")
    cfg = folder_cfg(tmp_path / "data", "DATASETS.FOLDER.PALETTE_FILE", str(tmp_path / "rgb.png"))
    with pytest.raises(DatasetError, match=f"palette file {tmp_path}/rgb.png has mode RGB; it must be a palette image"):
        register_folder_from_cfg(cfg)


def test_display_palette_from_the_config_for_any_dataset():
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "7"])
    own = display_palette(cfg, "shapes_val")
    colours = [[i, 2 * i, 3 * i] for i in range(7)]
    cfg.merge_from_list(["DATASETS.DISPLAY_PALETTE", str(colours)])
    assert display_palette(cfg, "shapes_val") == [tuple(c) for c in colours] != own
