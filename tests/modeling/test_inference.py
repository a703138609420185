"""Test-time protocols: sliding windows, scales and flips agree with whole-image inference where they
must (translation- and flip-equivariant models), aggregate as documented, and reach EncoderDecoder."""
import math

import pytest
import torch
from torch import nn

from seg_engine.config import get_cfg
from seg_engine.modeling.meta_arch import EncoderDecoder
from seg_engine.modeling.meta_arch.inference import InferenceProtocol, protocol_scores, slide_logits, window_starts


def pixel_model(seed=0, classes=5):
    """A 1x1 convolution: translation- and flip-equivariant, so every protocol sees the same pixels."""
    torch.manual_seed(seed)
    conv = nn.Conv2d(3, classes, 1)
    return lambda x: conv(x)


def images(n=1, h=37, w=53, seed=0):
    return torch.randn(n, 3, h, w, generator=torch.Generator().manual_seed(seed))


def test_window_starts_end_at_the_border():
    assert window_starts(100, 40, 30) == [0, 30, 60]
    assert window_starts(101, 40, 30) == [0, 30, 60, 61]
    assert window_starts(40, 40, 30) == [0]
    assert window_starts(473, 473, 316) == [0]
    assert window_starts(512, 473, 316) == [0, 39]


def test_windows_cover_the_image_and_are_padded_to_the_crop():
    seen = []

    def spy(x):
        seen.append(tuple(x.shape[-2:]))
        return torch.ones(x.shape[0], 2, *x.shape[-2:])

    out = slide_logits(spy, images(2, 30, 70), crop_size=(40, 32), stride=(20, 21))
    # Height 30 is padded to 40 (one row of windows); width 70: starts 0, 21, 38.
    assert seen == [(40, 32)] * 3
    assert out.shape == (2, 2, 30, 70) and torch.equal(out, torch.ones(2, 2, 30, 70))


def test_overlaps_are_averaged():
    def window_id(x):  # each window predicts a different constant: its order of call
        window_id.calls += 1
        return torch.full((1, 1, *x.shape[-2:]), float(window_id.calls))

    window_id.calls = 0
    out = slide_logits(window_id, torch.zeros(1, 3, 10, 16), crop_size=(10, 10), stride=(10, 6))
    # Windows at x = 0 and x = 6: columns 0..5 see only window 1, 6..9 both (mean 1.5), 10..15 window 2.
    assert out[0, 0, 0].tolist() == [1.0] * 6 + [1.5] * 4 + [2.0] * 6


@pytest.mark.parametrize("size", [(37, 53), (16, 20), (64, 48)])
def test_slide_equals_whole_for_a_translation_equivariant_model(size):
    predict, x = pixel_model(), images(2, *size)
    whole = predict(x)
    slide = slide_logits(predict, x, crop_size=(24, 24), stride=(16, 13))
    assert torch.allclose(slide, whole, atol=1e-5)
    protocol = InferenceProtocol(mode="slide", crop_size=(24, 24), stride=(16, 13))
    assert torch.allclose(protocol_scores(predict, x, protocol), whole, atol=1e-5)


def test_one_scale_without_flip_is_the_whole_image_logits():
    predict, x = pixel_model(), images()
    assert torch.equal(protocol_scores(predict, x, InferenceProtocol(scales=(1.0,))), predict(x))


@pytest.mark.parametrize("mode", ["whole", "slide"])
def test_flip_with_a_flip_equivariant_model_equals_whole(mode):
    predict, x = pixel_model(), images()
    protocol = InferenceProtocol(mode=mode, crop_size=(24, 24), stride=(16, 16), flip=True)
    assert torch.allclose(protocol_scores(predict, x, protocol), predict(x).softmax(1), atol=1e-6)


def test_flip_view_is_flipped_back():
    def left_half_is_class_one(x):  # not flip-equivariant: depends on the column
        out = torch.zeros(x.shape[0], 2, *x.shape[-2:])
        out[:, 1, :, : x.shape[-1] // 2] = 4.0
        return out

    x = images(1, 8, 10)
    probs = protocol_scores(left_half_is_class_one, x, InferenceProtocol(flip=True))
    # The plain view says class 1 on the left, the flipped view (flipped back) on the right.
    p1 = torch.sigmoid(torch.tensor(4.0))
    assert torch.allclose(probs[0, 1, 0], torch.full((10,), (p1 + 0.5) / 2), atol=1e-6)


def constant_logits(values):
    values = torch.tensor(values)
    return lambda x: values.view(1, -1, 1, 1).expand(x.shape[0], -1, *x.shape[-2:]).clone()


def test_scales_and_flips_average_probabilities():
    predict = constant_logits([0.0, 1.0, 3.0])
    x = images(1, 20, 30)
    protocol = InferenceProtocol(scales=(0.5, 0.75, 1.0, 1.5), flip=True, aggregate="prob")
    scores = protocol_scores(predict, x, protocol)
    assert scores.shape == (1, 3, 20, 30)
    assert torch.allclose(scores, torch.tensor([0.0, 1.0, 3.0]).softmax(0).view(1, 3, 1, 1).expand_as(scores), atol=1e-6)


def test_exp_aggregate_is_encodings_sum_over_scales_of_exp_of_flip_sum():
    predict = constant_logits([0.0, 1.0, -2.0])
    x = images(1, 20, 30)
    scores = protocol_scores(predict, x, InferenceProtocol(scales=(0.5, 1.0, 1.25), flip=True, aggregate="exp"))
    expected = 3 * torch.exp(2 * torch.tensor([0.0, 1.0, -2.0]))
    assert torch.allclose(scores[0, :, 7, 11], expected, rtol=1e-5)
    single = protocol_scores(predict, x, InferenceProtocol(scales=(0.5, 1.0), aggregate="exp"))
    assert torch.allclose(single[0, :, 0, 0], 2 * torch.exp(torch.tensor([0.0, 1.0, -2.0])), rtol=1e-5)


def test_each_scale_sees_the_resized_image():
    sizes = []

    def spy(x):
        sizes.append(tuple(x.shape[-2:]))
        return torch.zeros(x.shape[0], 2, *x.shape[-2:])

    protocol_scores(spy, images(1, 20, 30), InferenceProtocol(scales=(0.5, 1.25), flip=True))
    assert sizes == [(10, 15), (25, 38)]  # each with its flipped copy in the same batch


def test_protocol_from_config_and_validation():
    cfg = get_cfg()
    cfg.merge_from_file("configs/Protocols/encoding_ms.yaml")
    p = InferenceProtocol.from_config(cfg)
    assert (p.mode, p.crop_size, p.stride, p.flip, p.aggregate) == ("slide", (480, 480), (320, 320), True, "exp")
    assert p.scales == (0.5, 0.75, 1.0, 1.25, 1.5, 1.75) and not p.single_pass
    assert InferenceProtocol.from_config(get_cfg()).single_pass
    with pytest.raises(ValueError, match="TEST.MODE must be one of"):
        InferenceProtocol(mode="tiles")
    with pytest.raises(ValueError, match="TEST.AGGREGATE must be one of"):
        InferenceProtocol(aggregate="max")
    with pytest.raises(ValueError, match="leaves pixels unseen"):
        InferenceProtocol(mode="slide", crop_size=(10, 10), stride=(11, 5))


class ImageAsFeatures(nn.Module):
    def forward(self, x):
        return {"image": x}


class PixelSegmenter(EncoderDecoder):
    """EncoderDecoder whose decode is a 1x1 convolution of the normalized image."""

    def build_heads(self, cfg) -> None:
        torch.manual_seed(0)
        self.decode_head = nn.Conv2d(3, cfg.MODEL.NUM_CLASSES, 1)
        self.aux_head = None
        self.loss_weights = {"sem_seg": 1.0}

    def decode(self, features):
        return {"sem_seg": self.decode_head(features["image"])}


def segmenter(**test):
    cfg = get_cfg()
    cfg.MODEL.NUM_CLASSES = 4
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.BASE_WIDTH = 8
    cfg.MODEL.SIZE_DIVISIBILITY = 8
    cfg.MODEL.DEVICE = "cpu"
    for key, value in test.items():
        setattr(cfg.TEST, key, value)
    model = PixelSegmenter(cfg)
    model.backbone = ImageAsFeatures()
    return model.eval()


def batch(first_size=(21, 30)):
    """Two images of different sizes (padded together); the first has the given original size."""
    g = torch.Generator().manual_seed(1)
    return [
        {"image": torch.randint(0, 256, (3, 21, 30), generator=g, dtype=torch.uint8), "height": first_size[0],
         "width": first_size[1]},
        {"image": torch.randint(0, 256, (3, 26, 17), generator=g, dtype=torch.uint8), "height": 26, "width": 17},
    ]


def test_encoder_decoder_protocols_agree_with_whole_on_a_padded_batch():
    inputs = batch()
    with torch.no_grad():
        whole = segmenter()(inputs)
        slide = segmenter(MODE="slide", CROP_SIZE=(16, 16), STRIDE=(10, 10))(inputs)
        flipped = segmenter(FLIP=True)(inputs)
        slide_flip = segmenter(MODE="slide", CROP_SIZE=(16, 16), STRIDE=(10, 10), FLIP=True)(inputs)
    for i, x in enumerate(inputs):
        assert whole[i]["sem_seg"].shape == (4, x["height"], x["width"])
        assert torch.allclose(slide[i]["sem_seg"], whole[i]["sem_seg"], atol=1e-5)
        assert torch.allclose(flipped[i]["sem_seg"], whole[i]["sem_seg"].softmax(0), atol=1e-6)
        assert torch.allclose(slide_flip[i]["sem_seg"], whole[i]["sem_seg"].softmax(0), atol=1e-6)


def test_encoder_decoder_multi_scale_returns_original_sizes():
    inputs = batch(first_size=(42, 60))
    with torch.no_grad():
        whole = segmenter()(inputs)
        ms = segmenter(SCALES=(0.75, 1.0, 1.5), FLIP=True)(inputs)
    for w, m, x in zip(whole, ms, inputs):
        assert m["sem_seg"].shape == (4, x["height"], x["width"])
        assert torch.allclose(m["sem_seg"].sum(0), torch.ones(x["height"], x["width"]), atol=1e-5)
        # A per-pixel model agrees with itself across scales away from interpolation at edges.
        agree = (m["sem_seg"].argmax(0) == w["sem_seg"].argmax(0)).float().mean()
        assert agree > 0.7
    assert not math.isnan(float(ms[0]["sem_seg"].sum()))
