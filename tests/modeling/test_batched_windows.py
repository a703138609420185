"""Batched sliding windows, flips and scales give the per-window loop's logits (fp32 tolerance, same argmax)
on a real network with randomized BatchNorm statistics in eval mode."""
import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.modeling.meta_arch.inference import InferenceProtocol, protocol_scores, slide_logits, window_starts


def per_window_loop(predict, images, crop_size, stride):
    """The sliding window as it was before batching: one predict call per window."""
    h, w = images.shape[-2:]
    (ch, cw), (ph, pw) = crop_size, (max(h, crop_size[0]), max(w, crop_size[1]))
    images = F.pad(images, (0, pw - w, 0, ph - h))
    total, count = None, torch.zeros(1, 1, ph, pw)
    for y in window_starts(ph, ch, stride[0]):
        for x in window_starts(pw, cw, stride[1]):
            out = predict(images[:, :, y : y + ch, x : x + cw])
            total = torch.zeros(images.shape[0], out.shape[1], ph, pw) if total is None else total
            total[:, :, y : y + ch, x : x + cw] += out
            count[:, :, y : y + ch, x : x + cw] += 1
    return (total / count)[:, :, :h, :w]


@pytest.fixture(scope="module")
def model():
    cfg = get_cfg()
    cfg.merge_from_list([
        "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.RESNETS.OUT_FEATURES", "['res4', 'res5']", "MODEL.HEAD.CHANNELS", "16", "MODEL.SIZE_DIVISIBILITY", "8",
    ])
    torch.manual_seed(0)
    m = build_model(cfg).eval()
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m


def assert_same(batched, loop):
    assert batched.shape == loop.shape
    assert (batched - loop).abs().max() <= 1e-5 * loop.abs().max()
    assert torch.equal(batched.argmax(1), loop.argmax(1))


@pytest.mark.parametrize("window_batch", [2, 3, 64])
def test_batched_windows_equal_the_loop(model, window_batch):
    x = torch.randn(2, 3, 65, 97, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        loop = per_window_loop(model.predict_logits, x, (32, 40), (21, 27))
        batched = slide_logits(model.predict_logits, x, (32, 40), (21, 27), window_batch)
    assert_same(batched, loop)


@pytest.mark.parametrize("mode", ["whole", "slide"])
def test_batched_flips_and_scales_equal_the_loop(model, mode):
    x = torch.randn(1, 3, 49, 66, generator=torch.Generator().manual_seed(3))
    kw = dict(mode=mode, crop_size=(32, 32), stride=(21, 21), scales=(0.75, 1.0, 1.0001, 1.5), flip=True)

    def view(images):  # the unbatched view: the per-window loop, or the whole image
        if mode == "slide":
            return per_window_loop(model.predict_logits, images, (32, 32), (21, 21))
        return model.predict_logits(images)

    with torch.no_grad():
        expected = 0
        for scale in kw["scales"]:
            size = (int(49 * scale + 0.5), int(66 * scale + 0.5))
            s = x if size == (49, 66) else F.interpolate(x, size=size, mode="bilinear", align_corners=False)
            p = (view(s).softmax(1) + view(s.flip(-1)).flip(-1).softmax(1)) / 2
            expected = expected + (p if size == (49, 66) else F.interpolate(p, size=(49, 66), mode="bilinear"))
        expected = expected / len(kw["scales"])
        batched = protocol_scores(model.predict_logits, x, InferenceProtocol(window_batch=8, **kw))
    assert_same(batched, expected)


def test_window_batch_bounds_the_models_batch():
    seen = []

    def spy(x):
        seen.append(x.shape[0])
        return torch.zeros(x.shape[0], 2, *x.shape[-2:])

    # 3 x 3 windows of 2 images, 5 crops a call: 2 windows (4 crops) per call, the last call 1 window.
    slide_logits(spy, torch.zeros(2, 3, 30, 30), (12, 12), (9, 9), window_batch=5)
    assert seen == [4, 4, 4, 4, 2]
    with pytest.raises(ValueError, match="TEST.WINDOW_BATCH"):
        InferenceProtocol(window_batch=0)


def test_compare_window_batches_reports_equal_scores(model):
    import dataclasses

    from seg_engine.analysis.benchmark import compare_window_batches

    protocol = model.test_protocol
    model.test_protocol = dataclasses.replace(protocol, mode="slide", crop_size=(24, 32), stride=(16, 16))
    try:
        result = compare_window_batches(model, (33, 49), [1, 4], repeats=1, warmup=0)
    finally:
        model.test_protocol = protocol
    assert set(result) == {"window_batch=1", "window_batch=4"}
    assert result["window_batch=4"]["argmax_equal_to_first"]
    assert result["window_batch=4"]["max_abs_diff_from_first"] < 1e-4
    assert model.test_protocol is protocol
