"""The recipes' augmentations: rescale modes, rotation, blur, photometric distortion, and the composed
pipelines of hszhao/semseg, mmsegmentation and PyTorch-Encoding, on image and mask together."""
import cv2
import numpy as np
import pytest

from seg_engine.config import get_cfg
from seg_engine.data.transforms import (
    AugmentationList,
    GaussianBlurTransform,
    NoOpTransform,
    PhotoMetricDistortion,
    PhotometricTransform,
    RandomCrop,
    RandomFlip,
    RandomGaussianBlur,
    RandomLongSideResize,
    RandomRatioResize,
    RandomRotation,
    RandomScaleResize,
    ResizeLongSide,
    ResizeShortSide,
    ResizeToScale,
    build_augmentation,
)

IGN = 255
MEAN = (124, 116, 104)
COLOURS = np.array([[40 * k + 20, 200 - 30 * k, 60 + 25 * k] for k in range(6)], np.uint8)


def labelled_pair(h=60, w=80, cell=12, seed=0):
    """Blocks of labels 0..5, and the image whose colour encodes each pixel's label."""
    grid = np.random.default_rng(seed).integers(0, len(COLOURS), (h // cell + 1, w // cell + 1))
    mask = np.kron(grid, np.ones((cell, cell), np.int64))[:h, :w].astype(np.uint8)
    return COLOURS[mask], mask


def uniform_around(mask, radius):
    """Pixels whose (2 radius + 1)^2 neighbourhood, inside the image, holds one label."""
    kernel = np.ones((2 * radius + 1,) * 2, np.uint8)
    low = cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    high = cv2.dilate(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=IGN)
    return low == high


def check_aligned(image, mask, fill=None, radius=1):
    """Away from label boundaries and the image border (where bilinear and nearest sampling may differ by
    a pixel, more after a blur), every labelled pixel has its label's colour and every ignore pixel the
    fill colour (when given)."""
    assert image.shape[:2] == mask.shape and image.dtype == np.uint8
    inner = uniform_around(mask, radius)
    labelled = inner & (mask != IGN)
    assert labelled.sum() > 0.1 * mask.size
    diff = np.abs(image[labelled].astype(int) - COLOURS[mask[labelled]].astype(int))
    assert diff.max() <= 1
    if fill is not None:
        ignored = inner & (mask == IGN)
        assert (np.abs(image[ignored].astype(int) - np.array(fill)) <= 1).all()


def test_scale_resize_fits_the_reference_scale_times_r():
    image, mask = labelled_pair(60, 80)
    aug = RandomScaleResize((2048, 512), (1.0, 1.0))
    t = aug.get_transform(image, mask, np.random.default_rng(0))
    assert (t.new_h, t.new_w) == (512, 683)  # the short side reaches 512 first
    wide = np.zeros((100, 1000, 3), np.uint8)
    t = aug.get_transform(wide, None, np.random.default_rng(0))
    assert (t.new_h, t.new_w) == (205, 2048)  # the long side reaches 2048 first
    for seed in range(20):
        rng = np.random.default_rng(seed)
        r = np.random.default_rng(seed).uniform(0.5, 2.0)
        t = RandomScaleResize((2048, 512), (0.5, 2.0)).get_transform(image, mask, rng)
        assert t.new_h == int(60 * min(int(2048 * r) / 80, int(512 * r) / 60) + 0.5)
        assert abs(t.new_w / t.new_h - 80 / 60) < 0.01


def test_long_side_resize_draws_an_integer_long_side():
    image, mask = labelled_pair(60, 80)
    tall = np.zeros((80, 30, 3), np.uint8)
    longs = set()
    for seed in range(200):
        t = RandomLongSideResize(520, (0.5, 2.0)).get_transform(image, mask, np.random.default_rng(seed))
        assert 260 <= t.new_w <= 1040 and t.new_h == int(60 * t.new_w / 80 + 0.5)
        longs.add(t.new_w)
        t = RandomLongSideResize(520, (0.5, 2.0)).get_transform(tall, None, np.random.default_rng(seed))
        assert 260 <= t.new_h <= 1040 and t.new_w == int(30 * t.new_h / 80 + 0.5)
    assert len(longs) > 150


def test_test_time_resizes():
    image = np.zeros((60, 80, 3), np.uint8)
    rng = np.random.default_rng(0)
    t = ResizeLongSide(512).get_transform(image, None, rng)
    assert (t.new_h, t.new_w) == (384, 512)
    t = ResizeLongSide(473).get_transform(np.zeros((80, 30, 3), np.uint8), None, rng)
    assert (t.new_h, t.new_w) == (473, 177)
    t = ResizeToScale((2048, 512)).get_transform(image, None, rng)
    assert (t.new_h, t.new_w) == (512, 683)
    t = ResizeShortSide(30).get_transform(image, None, rng)
    assert (t.new_h, t.new_w) == (30, 40)


@pytest.mark.parametrize("seed", range(4))
def test_rotation_keeps_alignment_and_fills_corners(seed):
    image, mask = labelled_pair(64, 80, seed=seed)
    out_image, out_mask, tfm = RandomRotation((-10, 10), 1.0, MEAN, IGN)(image, mask, np.random.default_rng(seed))
    assert 0 < abs(tfm.angle) <= 10
    assert out_image.shape == image.shape and out_mask.shape == mask.shape and out_mask.dtype == np.uint8
    check_aligned(out_image, out_mask, fill=MEAN)
    # Corners uncovered by the rotation: the ignore label in the mask, the mean in the image.
    assert out_mask[0, 0] == IGN or out_mask[0, -1] == IGN
    assert (out_mask == IGN).sum() > 10
    # Rotating the mask with nearest neighbour invents no label.
    assert set(np.unique(out_mask)) <= set(np.unique(mask)) | {IGN}


def test_rotation_by_zero_is_identity_and_prob_gates_it():
    image, mask = labelled_pair()
    out_image, out_mask, _ = RandomRotation((0, 0), 1.0, MEAN, IGN)(image, mask, np.random.default_rng(0))
    assert np.array_equal(out_image, image) and np.array_equal(out_mask, mask)
    applied = [
        not isinstance(RandomRotation((-10, 10), 0.5).get_transform(image, mask, np.random.default_rng(s)), NoOpTransform)
        for s in range(200)
    ]
    assert 70 < sum(applied) < 130
    assert isinstance(RandomRotation((-10, 10), 0.0).get_transform(image, mask, np.random.default_rng(0)), NoOpTransform)


def test_rotation_of_sixteen_bit_masks():
    mask = np.full((40, 40), 1000, np.uint16)
    image = np.zeros((40, 40, 3), np.uint8)
    _, out, _ = RandomRotation((10, 10), 1.0, MEAN, 65535)(image, mask, np.random.default_rng(0))
    assert out.dtype == np.uint16 and set(np.unique(out)) == {1000, 65535}


def test_blur_changes_the_image_only():
    image, mask = labelled_pair()
    out_image, out_mask, tfm = RandomGaussianBlur(1.0)(image, mask, np.random.default_rng(0))
    assert isinstance(tfm, GaussianBlurTransform) and tfm.kernel_size == 5
    assert np.array_equal(out_image, cv2.GaussianBlur(image, (5, 5), 0)) and not np.array_equal(out_image, image)
    assert out_mask is mask
    blur = RandomGaussianBlur(0.5)
    applied = [isinstance(blur.get_transform(image, mask, np.random.default_rng(s)), GaussianBlurTransform) for s in range(200)]
    assert 70 < sum(applied) < 130


def reference_photometric(img, t):
    """mmsegmentation's steps in float32 (saturation and hue in one HSV trip, as documented)."""
    def convert(x, alpha=1.0, beta=0.0):
        return np.clip(x.astype(np.float32) * alpha + beta, 0, 255).astype(np.uint8)

    if t.brightness is not None:
        img = convert(img, beta=t.brightness)
    if t.contrast is not None and t.contrast_first:
        img = convert(img, alpha=t.contrast)
    if t.saturation is not None or t.hue is not None:
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
        if t.saturation is not None:
            hsv[..., 1] = convert(hsv[..., 1], alpha=t.saturation)
        if t.hue is not None:
            hsv[..., 0] = (hsv[..., 0].astype(int) + t.hue) % 180
        img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    if t.contrast is not None and not t.contrast_first:
        img = convert(img, alpha=t.contrast)
    return img


def test_photometric_matches_the_reference_steps():
    image = np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    mask = np.zeros((30, 40), np.uint8)
    seen = {"brightness": 0, "contrast": 0, "saturation": 0, "hue": 0, "contrast_first": 0}
    for seed in range(64):
        out_image, out_mask, t = PhotoMetricDistortion()(image, mask, np.random.default_rng(seed))
        assert np.array_equal(out_image, reference_photometric(image, t)) and out_mask is mask
        for key in seen:
            seen[key] += getattr(t, key) not in (None, False)
        if t.brightness is not None:
            assert -32 <= t.brightness <= 32
        if t.hue is not None:
            assert -18 <= t.hue < 18
        for factor in (t.contrast, t.saturation):
            assert factor is None or 0.5 <= factor <= 1.5
    assert all(16 < n < 48 for n in seen.values()), seen


def test_photometric_single_steps():
    image = np.random.default_rng(2).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    out = PhotometricTransform(brightness=40.0).apply_image(image)
    assert np.array_equal(out, np.clip(image.astype(int) + 40, 0, 255))
    out = PhotometricTransform(contrast=0.5).apply_image(image)
    assert np.array_equal(out, (image * np.float32(0.5)).astype(np.uint8))
    # Contrast first or last gives different images: the steps do not commute.
    a = PhotometricTransform(brightness=-20.0, contrast=1.4, saturation=1.3, contrast_first=True).apply_image(image)
    b = PhotometricTransform(brightness=-20.0, contrast=1.4, saturation=1.3, contrast_first=False).apply_image(image)
    assert not np.array_equal(a, b)
    assert np.array_equal(PhotometricTransform().apply_image(image), image)


RECIPES = {
    "semseg": dict(
        RESIZE_MODE="ratio", RATIO_RANGE=(0.5, 2.0), ROTATION=(-10.0, 10.0), BLUR_PROB=0.5, CROP_SIZE=(47, 47), FLIP=True
    ),
    "mmseg": dict(
        RESIZE_MODE="scale", SCALE=(200, 50), RATIO_RANGE=(0.5, 2.0), CROP_SIZE=(48, 48), CAT_MAX_RATIO=0.75, FLIP=True,
        PHOTOMETRIC=True,
    ),
    "encoding": dict(RESIZE_MODE="long_side", BASE_SIZE=52, RATIO_RANGE=(0.5, 2.0), CROP_SIZE=(48, 48), FLIP=True),
}
RECIPE_TYPES = {
    "semseg": [RandomRatioResize, RandomRotation, RandomGaussianBlur, RandomCrop, RandomFlip],
    "mmseg": [RandomScaleResize, RandomCrop, RandomFlip, PhotoMetricDistortion],
    "encoding": [RandomLongSideResize, RandomCrop, RandomFlip],
}


def recipe_cfg(name):
    cfg = get_cfg()
    for key, value in RECIPES[name].items():
        setattr(cfg.INPUT.TRAIN, key, value)
    return cfg


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_pipelines_from_config(name):
    augs = build_augmentation(recipe_cfg(name), is_train=True)
    assert [type(a) for a in augs.augs] == RECIPE_TYPES[name]
    image, mask = labelled_pair(60, 80, cell=20)
    for seed in range(6):
        out_image, out_mask, _ = augs(image, mask, np.random.default_rng(seed))
        crop = RECIPES[name]["CROP_SIZE"]
        assert out_mask.shape == crop and out_image.shape == (*crop, 3) and out_mask.dtype == np.uint8
        if name != "mmseg":  # photometric distortion changes colours on purpose
            check_aligned(out_image, out_mask, radius=3 if name == "semseg" else 1)
        assert set(np.unique(out_mask)) <= set(np.unique(mask)) | {IGN}
        again = augs(image, mask, np.random.default_rng(seed))
        assert np.array_equal(again[0], out_image) and np.array_equal(again[1], out_mask)


def test_recipe_rotation_fills_with_the_configured_mean():
    cfg = recipe_cfg("semseg")
    cfg.INPUT.TRAIN.ROTATION_PROB = 1.0
    rotation = build_augmentation(cfg, is_train=True).augs[1]
    assert rotation.image_fill == MEAN and rotation.prob == 1.0 and rotation.angle_range == (-10.0, 10.0)


def test_augmentations_use_only_the_given_rng():
    image, mask = labelled_pair()
    pipeline = AugmentationList(
        [RandomScaleResize((200, 50)), RandomRotation((-10, 10), 0.5, MEAN), RandomGaussianBlur(0.5),
         RandomLongSideResize(60), RandomCrop((40, 40)), RandomFlip(0.5), PhotoMetricDistortion()]
    )
    np.random.seed(5)
    expected = np.random.random()
    np.random.seed(5)
    outs = [pipeline(image, mask, np.random.default_rng(s))[:2] for s in (3, 3, 4)]
    assert np.random.random() == expected
    assert np.array_equal(outs[0][0], outs[1][0]) and np.array_equal(outs[0][1], outs[1][1])
    assert not np.array_equal(outs[0][0], outs[2][0])


def test_test_pipelines_from_config():
    cfg = get_cfg()
    cases = (
        ("long_side", ResizeLongSide, "LONG_SIDE", 512),
        ("scale", ResizeToScale, "SCALE", (2048, 512)),
        ("short_side", ResizeShortSide, "SHORT_SIDE", 480),
    )
    for mode, cls, key, value in cases:
        cfg.INPUT.TEST.RESIZE_MODE = mode
        setattr(cfg.INPUT.TEST, key, value)
        assert [type(a) for a in build_augmentation(cfg, is_train=False).augs] == [cls]
    cfg.INPUT.TEST.RESIZE_MODE = "bogus"
    with pytest.raises(ValueError, match="INPUT.TEST.RESIZE_MODE must be one of"):
        build_augmentation(cfg, is_train=False)
    cfg.INPUT.TRAIN.RESIZE_MODE = "bogus"
    with pytest.raises(ValueError, match="INPUT.TRAIN.RESIZE_MODE must be one of"):
        build_augmentation(cfg, is_train=True)
