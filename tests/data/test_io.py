"""Image and mask decoding: every common mode loads as RGB / labels; broken files name themselves."""
import cv2
import numpy as np
import pytest
from PIL import Image

from seg_engine.data.io import (
    BadSampleError,
    MissingFileError,
    UnreadableFileError,
    read_image,
    read_mask,
)

RGB = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]], [[10, 20, 30], [200, 100, 50], [0, 0, 0]]], np.uint8)


def test_rgb_png_and_jpeg_come_back_rgb(tmp_path):
    Image.fromarray(RGB).save(tmp_path / "a.png")
    assert np.array_equal(read_image(str(tmp_path / "a.png")), RGB)
    flat = np.zeros((16, 16, 3), np.uint8)
    flat[..., 0] = 200  # pure red: a channel swap would show as blue
    Image.fromarray(flat).save(tmp_path / "a.jpg", quality=95)
    out = read_image(str(tmp_path / "a.jpg"))
    assert out.dtype == np.uint8 and out.shape == (16, 16, 3)
    assert abs(int(out[..., 0].mean()) - 200) <= 2 and out[..., 2].max() <= 3


def test_grayscale_is_expanded(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    out = read_image(str(tmp_path / "g.png"))
    assert out.shape == (3, 4, 3) and all(np.array_equal(out[..., c], gray) for c in range(3))


def test_rgba_drops_alpha(tmp_path):
    rgba = np.dstack([RGB, np.full(RGB.shape[:2], 7, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert np.array_equal(read_image(str(tmp_path / "a.png")), RGB)


def test_palette_image_gives_its_colours(tmp_path):
    indices = np.array([[0, 1], [2, 1]], np.uint8)
    im = Image.fromarray(indices, "P")
    im.putpalette([9, 8, 7, 250, 0, 0, 0, 0, 250])
    im.save(tmp_path / "p.png")
    expected = np.array([[[9, 8, 7], [250, 0, 0]], [[0, 0, 250], [250, 0, 0]]], np.uint8)
    assert np.array_equal(read_image(str(tmp_path / "p.png")), expected)


def test_sixteen_bit_image_is_reduced_to_eight(tmp_path):
    deep = (np.arange(12, dtype=np.uint16).reshape(2, 2, 3) * 5000).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), deep[..., ::-1])
    out = read_image(str(tmp_path / "d.png"))
    assert out.dtype == np.uint8 and np.array_equal(out, (deep >> 8).astype(np.uint8))


def test_truncated_and_garbage_images_name_the_file(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "t.jpg")
    data = (tmp_path / "t.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) - 300])
    (tmp_path / "x.jpg").write_bytes(b"not an image at all")
    (tmp_path / "e.jpg").write_bytes(b"")
    for name in ("t.jpg", "x.jpg", "e.jpg"):
        with pytest.raises(UnreadableFileError, match=f"cannot decode image .*{name}"):
            read_image(str(tmp_path / name))


def test_missing_files(tmp_path):
    with pytest.raises(MissingFileError, match="nope.jpg: no such file"):
        read_image(str(tmp_path / "nope.jpg"))
    with pytest.raises(MissingFileError, match="nope.png: no such file"):
        read_mask(str(tmp_path / "nope.png"))
    assert issubclass(MissingFileError, BadSampleError)


def test_palette_mask_gives_indices_not_colours(tmp_path):
    labels = np.array([[0, 15, 255], [3, 3, 0]], np.uint8)
    im = Image.fromarray(labels, "P")
    im.putpalette([(i * 37) % 256 for i in range(768)])
    im.save(tmp_path / "m.png")
    out = read_mask(str(tmp_path / "m.png"))
    assert out.dtype == np.uint8 and np.array_equal(out, labels)


def test_sixteen_bit_and_one_bit_masks(tmp_path):
    labels = np.array([[0, 300], [1000, 65535]], np.uint16)
    Image.fromarray(labels).save(tmp_path / "m16.png")
    out = read_mask(str(tmp_path / "m16.png"))
    assert out.dtype == np.uint16 and np.array_equal(out, labels)
    Image.fromarray(np.array([[True, False], [False, True]])).save(tmp_path / "m1.png")
    out = read_mask(str(tmp_path / "m1.png"))
    assert out.dtype == np.uint8 and out.tolist() == [[1, 0], [0, 1]]


def test_colour_and_truncated_masks_are_refused(tmp_path):
    Image.fromarray(RGB).save(tmp_path / "rgb.png")
    with pytest.raises(UnreadableFileError, match="rgb.png has mode RGB; expected one channel"):
        read_mask(str(tmp_path / "rgb.png"))
    Image.fromarray(np.random.default_rng(0).integers(0, 150, (64, 64), dtype=np.uint8)).save(tmp_path / "t.png")
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError, match="cannot decode mask .*t.png"):
        read_mask(str(tmp_path / "t.png"))
