"""Augmentations keep image and mask aligned, pad with the ignore label and depend only on the rng."""
import cv2
import numpy as np
import pytest

from seg_engine.config import get_cfg
from seg_engine.data.transforms import (
    AugmentationList,
    HFlipTransform,
    NoOpTransform,
    RandomCrop,
    RandomFlip,
    RandomRatioResize,
    ResizeShortSide,
    ResizeTransform,
    build_augmentation,
)

IGN = 255
# Colour of label k; none is black, so padded image pixels (0) are told apart from content.
COLOURS = np.array([[40 * k + 20, 200 - 30 * k, 60 + 25 * k] for k in range(6)], np.uint8)


def labelled_pair(h=60, w=80, cell=10, seed=0):
    """A mask of blocks of labels 0..5 and the image whose pixel colour encodes the label."""
    grid = np.random.default_rng(seed).integers(0, len(COLOURS), (h // cell + 1, w // cell + 1))
    mask = np.kron(grid, np.ones((cell, cell), np.int64))[:h, :w].astype(np.uint8)
    return COLOURS[mask], mask


def check_aligned(image, mask, resized):
    """Padded pixels are 0 in the image exactly where the mask is ignore; every other pixel carries the
    label its colour encodes. After a resize only pure colours inside a uniform 3x3 patch of the mask
    are checked: bilinear and nearest-neighbour sampling may disagree by a pixel at label boundaries."""
    assert image.shape[:2] == mask.shape
    padded = mask == IGN
    assert np.array_equal(padded, (image == 0).all(-1))
    checked = ~padded
    if resized:
        kernel = np.ones((3, 3), np.uint8)
        checked &= cv2.erode(mask, kernel) == cv2.dilate(mask, kernel)
    pure = np.zeros(mask.shape, bool)
    for k, colour in enumerate(COLOURS):
        is_k = (image == colour).all(-1)
        assert (mask[is_k & checked] == k).all()
        pure |= is_k
    if resized:
        assert (pure & checked).sum() > 0.3 * (~padded).sum()
    else:
        assert pure[checked].all()


AUGS = {
    "ratio_resize": lambda: RandomRatioResize((0.5, 2.0)),
    "short_side": lambda: ResizeShortSide(47),
    "crop": lambda: RandomCrop((40, 50)),
    "crop_with_pad": lambda: RandomCrop((90, 70)),
    "crop_cat_max": lambda: RandomCrop((30, 30), cat_max_ratio=0.6),
    "flip": lambda: RandomFlip(1.0),
    "all": lambda: AugmentationList(
        [RandomRatioResize((0.5, 2.0)), RandomCrop((64, 64), IGN, 0.75), RandomFlip(0.5)]
    ),
}


@pytest.mark.parametrize("name", sorted(AUGS))
@pytest.mark.parametrize("seed", range(4))
def test_image_and_mask_stay_aligned(name, seed):
    image, mask = labelled_pair(seed=seed)
    out_image, out_mask, tfm = AUGS[name]()(image, mask, np.random.default_rng(seed))
    assert out_image.dtype == np.uint8 and out_mask.dtype == np.uint8
    check_aligned(out_image, out_mask, resized=name in ("ratio_resize", "short_side", "all"))
    # The returned transform redoes the same thing.
    assert np.array_equal(tfm.apply_image(image), out_image)
    assert np.array_equal(tfm.apply_segmentation(mask), out_mask)


def test_flip_mirrors_and_is_contiguous():
    image, mask = labelled_pair()
    out_image, out_mask, tfm = RandomFlip(1.0)(image, mask, np.random.default_rng(0))
    assert isinstance(tfm, HFlipTransform)
    assert np.array_equal(out_image, image[:, ::-1]) and np.array_equal(out_mask, mask[:, ::-1])
    assert out_image.flags.c_contiguous and out_mask.flags.c_contiguous
    assert isinstance(RandomFlip(0.0).get_transform(image, mask, np.random.default_rng(0)), NoOpTransform)


def test_crop_pads_image_with_zero_and_mask_with_ignore():
    image, mask = labelled_pair(30, 40)
    out_image, out_mask, _ = RandomCrop((50, 60), ignore_label=IGN)(image, mask, np.random.default_rng(0))
    assert out_image.shape == (50, 60, 3) and out_mask.shape == (50, 60)
    assert np.array_equal(out_image[:30, :40], image) and np.array_equal(out_mask[:30, :40], mask)
    assert (out_mask[30:] == IGN).all() and (out_mask[:, 40:] == IGN).all()
    assert (out_image[30:] == 0).all() and (out_image[:, 40:] == 0).all()


def test_crop_pads_only_the_short_side():
    image, mask = labelled_pair(30, 100)
    for seed in range(5):
        out_image, out_mask, _ = RandomCrop((50, 60))(image, mask, np.random.default_rng(seed))
        assert out_mask.shape == (50, 60)
        assert (out_mask[30:] == IGN).all() and (out_mask[:30] != IGN).all()


def crop_share(mask):
    labels, counts = np.unique(mask[mask != IGN], return_counts=True)
    return len(labels), counts.max() / counts.sum()


def test_cat_max_ratio_redraws_until_no_class_dominates():
    # Class 1 fills the left 50 columns, class 0 the rest: about half of the 50x50 windows are balanced.
    mask = np.zeros((100, 100), np.uint8)
    mask[:, :50] = 1
    image = COLOURS[mask]
    plain = [crop_share(RandomCrop((50, 50))(image, mask, np.random.default_rng(s))[1]) for s in range(20)]
    assert any(n == 1 or share >= 0.75 for n, share in plain)
    for seed in range(20):
        _, out, _ = RandomCrop((50, 50), cat_max_ratio=0.75)(image, mask, np.random.default_rng(seed))
        n, share = crop_share(out)
        assert n > 1 and share < 0.75


def test_cat_max_ratio_ignores_ignore_pixels_and_gives_up():
    crop = RandomCrop((4, 4), ignore_label=IGN, cat_max_ratio=0.6)
    window = np.full((4, 4), IGN, np.uint8)
    window[0, :2] = [1, 2]
    assert crop._balanced(window)
    window[1, 0] = 1
    assert not crop._balanced(window)
    # A single class everywhere can never be balanced: the crop still comes back after the retries.
    mask = np.zeros((40, 40), np.uint8)
    _, out, _ = RandomCrop((20, 20), cat_max_ratio=0.5)(COLOURS[mask], mask, np.random.default_rng(0))
    assert out.shape == (20, 20)


def test_same_seed_same_output_and_only_the_given_rng_is_used():
    image, mask = labelled_pair(seed=3)
    aug = AUGS["all"]()
    np.random.seed(123)
    expected_global = np.random.random()
    np.random.seed(123)
    runs = [aug(image, mask, np.random.default_rng(7)) for _ in range(2)]
    assert np.random.random() == expected_global
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    others = [aug(image, mask, np.random.default_rng(s))[1] for s in range(8, 12)]
    assert any(o.shape != runs[0][1].shape or not np.array_equal(o, runs[0][1]) for o in others)


def test_resize_interpolation():
    image, _ = labelled_pair()
    mask = np.random.default_rng(0).choice(np.array([0, 3, 7, IGN], np.uint8), (60, 80))
    for new_h, new_w in [(90, 130), (31, 47), (60, 80)]:
        t = ResizeTransform(60, 80, new_h, new_w)
        out_mask = t.apply_segmentation(mask)
        assert out_mask.shape == (new_h, new_w)
        assert set(np.unique(out_mask)) <= {0, 3, 7, IGN}
        assert np.array_equal(out_mask, cv2.resize(mask, (new_w, new_h), interpolation=cv2.INTER_NEAREST))
        assert np.array_equal(t.apply_image(image), cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR))
    assert t.apply_segmentation(mask.astype(np.int64)).dtype == np.int64


def test_resize_sizes():
    image = np.zeros((60, 80, 3), np.uint8)
    t = ResizeShortSide(30).get_transform(image, None, np.random.default_rng(0))
    assert (t.new_h, t.new_w) == (30, 40)
    for seed in range(10):
        t = RandomRatioResize((0.5, 2.0)).get_transform(image, None, np.random.default_rng(seed))
        ratio = t.new_h / 60
        assert 0.5 <= ratio <= 2.0 and abs(t.new_w - 80 * ratio) <= 1


def test_build_augmentation_from_config():
    cfg = get_cfg()
    cfg.INPUT.TRAIN.RATIO_RANGE = (0.5, 2.0)
    cfg.INPUT.TRAIN.CROP_SIZE = (64, 48)
    cfg.INPUT.TRAIN.CAT_MAX_RATIO = 0.75
    cfg.MODEL.IGNORE_VALUE = 254
    augs = build_augmentation(cfg, is_train=True).augs
    assert [type(a) for a in augs] == [RandomRatioResize, RandomCrop, RandomFlip]
    assert augs[0].ratio_range == (0.5, 2.0)
    assert (augs[1].crop_size, augs[1].ignore_label, augs[1].cat_max_ratio) == ((64, 48), 254, 0.75)
    assert build_augmentation(cfg, is_train=False).augs == []

    cfg.INPUT.TRAIN.RATIO_RANGE = (1.0, 1.0)
    cfg.INPUT.TRAIN.CROP_SIZE = (0, 0)
    cfg.INPUT.TRAIN.FLIP = False
    cfg.INPUT.TEST.RESIZE_MODE = "short_side"
    cfg.INPUT.TEST.SHORT_SIDE = 32
    assert build_augmentation(cfg, is_train=True).augs == []
    test_augs = build_augmentation(cfg, is_train=False).augs
    assert [type(a) for a in test_augs] == [ResizeShortSide] and test_augs[0].short == 32
