"""INPUT.TEST.RESIZE_MODE "aligned_scale": SegFormer's AlignedResize (fit inside SCALE, then each side up to a
multiple of SIZE_DIVISOR by a second bilinear resize)."""
import cv2
import numpy as np
import pytest

from seg_engine.config import get_cfg
from seg_engine.data.transforms import ResizeToScaleAligned, build_augmentation


def test_sides_are_rounded_up_to_the_divisor_after_fitting_the_scale():
    image = np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8)
    tfm = ResizeToScaleAligned((2048, 512), 32).get_transform(image, None, np.random.default_rng(0))
    fit, align = tfm.transforms
    assert (fit.new_h, fit.new_w) == (512, 683)  # 500 * 512 / 375 = 682.7
    assert (align.new_h, align.new_w) == (512, 704)
    twice = cv2.resize(cv2.resize(image, (683, 512), interpolation=cv2.INTER_LINEAR), (704, 512), interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(tfm.apply_image(image), twice)


def test_an_aligned_size_is_resized_once():
    tfm = ResizeToScaleAligned((2048, 512), 32).get_transform(np.zeros((256, 320, 3), np.uint8), None, None)
    assert [(t.new_h, t.new_w) for t in tfm.transforms] == [(512, 640), (512, 640)]
    with pytest.raises(ValueError, match="must be positive"):
        ResizeToScaleAligned((2048, 512), 0)


def test_config_selects_it_with_its_divisor():
    cfg = get_cfg()
    cfg.INPUT.TEST.RESIZE_MODE = "aligned_scale"
    cfg.INPUT.TEST.SCALE = (1024, 256)
    cfg.INPUT.TEST.SIZE_DIVISOR = 16
    (aug,) = build_augmentation(cfg, is_train=False).augs
    assert isinstance(aug, ResizeToScaleAligned) and (aug.scale, aug.size_divisor) == ((1024, 256), 16)
