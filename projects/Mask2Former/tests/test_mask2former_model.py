"""Mask2Former's parts and meta-architecture on CPU, with the narrow shapes recipe."""
import math
import os

import pytest
import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)

from seg_engine_projects.mask2former import MSDeformAttn, ms_deform_attn_pytorch, semantic_scores  # noqa: E402
from seg_engine_projects.mask2former.ms_deform_attn import ms_deform_attn  # noqa: E402
from seg_engine_projects.mask2former.transformer_decoder import MaskedAttentionHead  # noqa: E402
from seg_engine_projects.mask2former.pixel_decoder import MASK_FEATURES  # noqa: E402
from seg_engine.modeling import ShapeSpec  # noqa: E402

SHAPES = os.path.join(PROJECT, "configs", "shapes", "mask2former_r18_shapes.yaml")
TINY = ["MODEL.DEVICE", "cpu", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.MASK_FORMER.DEC_LAYERS", "2",
        "MODEL.MASK_FORMER.TRAIN_NUM_POINTS", "64", "MODEL.PIXEL_DECODER.ENCODER_LAYERS", "1"]


def bilinear_zero_padded(value, x, y):
    """value: d x h x w; (x, y) in pixels of align_corners=False coordinates (centre of pixel i at i)."""
    d, h, w = value.shape
    x0, y0 = math.floor(x), math.floor(y)
    out = torch.zeros(d, dtype=torch.float64)
    for yy, wy in ((y0, y0 + 1 - y), (y0 + 1, y - y0)):
        for xx, wx in ((x0, x0 + 1 - x), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * value[:, yy, xx].double()
    return out


def test_deformable_attention_equals_a_point_by_point_bilinear_sum():
    g = torch.Generator().manual_seed(0)
    shapes = [(3, 5), (2, 2)]
    n, q, heads, d, points = 2, 4, 2, 3, 3
    value = torch.randn(n, sum(h * w for h, w in shapes), heads, d, generator=g)
    locations = torch.rand(n, q, heads, len(shapes), points, 2, generator=g) * 1.4 - 0.2  # some outside
    weights = torch.rand(n, q, heads, len(shapes), points, generator=g)
    out = ms_deform_attn_pytorch(value, shapes, locations, weights)
    assert out.shape == (n, q, heads * d)
    starts = [0, shapes[0][0] * shapes[0][1]]
    for b in range(n):
        for i in range(q):
            for m in range(heads):
                expected = torch.zeros(d, dtype=torch.float64)
                for lvl, (h, w) in enumerate(shapes):
                    level = value[b, starts[lvl]: starts[lvl] + h * w, m].T.reshape(d, h, w)
                    for p in range(points):
                        x, y = locations[b, i, m, lvl, p].tolist()
                        expected += weights[b, i, m, lvl, p].item() * bilinear_zero_padded(level, x * w - 0.5, y * h - 0.5)
                torch.testing.assert_close(out[b, i, m * d:(m + 1) * d].double(), expected, atol=1e-5, rtol=1e-5)


def test_attention_impl_fused_is_refused_without_the_kernel_and_auto_falls_back():
    value = torch.randn(1, 4, 1, 2)
    loc, w = torch.rand(1, 2, 1, 1, 1, 2), torch.ones(1, 2, 1, 1, 1)
    with pytest.raises(RuntimeError, match="ATTENTION_IMPL fused needs CUDA tensors"):
        ms_deform_attn(value, [(2, 2)], loc, w, "fused")
    torch.testing.assert_close(ms_deform_attn(value, [(2, 2)], loc, w, "auto"), ms_deform_attn_pytorch(value, [(2, 2)], loc, w))
    with pytest.raises(ValueError, match="ATTENTION_IMPL must be one of"):
        MSDeformAttn(8, 1, 2, 1, impl="cuda")


def test_a_query_whose_mask_is_empty_attends_everywhere_instead_of_giving_nan():
    shape = {MASK_FEATURES: ShapeSpec(16, 4), "p5": ShapeSpec(16, 32), "p4": ShapeSpec(16, 16), "p3": ShapeSpec(16, 8)}
    decoder = MaskedAttentionHead(shape, num_classes=3, hidden_dim=16, num_queries=5, num_heads=2,
                                  dim_feedforward=32, dec_layers=3, mask_dim=16).eval()
    with torch.no_grad():
        for p in decoder.mask_embed.layers[-1].parameters():
            p.zero_()
        decoder.mask_embed.layers[-1].bias.fill_(-1.0)  # every mask logit -|features| < 0: all masked
    feats = {MASK_FEATURES: torch.ones(1, 16, 8, 12), "p5": torch.randn(1, 16, 1, 2),
             "p4": torch.randn(1, 16, 2, 3), "p3": torch.randn(1, 16, 4, 6)}
    with torch.no_grad():
        out = decoder(feats)
    assert (out["pred_masks"] < 0).all()
    assert torch.isfinite(out["pred_logits"]).all()


def test_semantic_scores_are_class_probabilities_times_mask_sigmoids_at_the_image_size():
    g = torch.Generator().manual_seed(1)
    logits, masks = torch.randn(2, 4, 6, generator=g), torch.randn(2, 4, 3, 5, generator=g)
    scores = semantic_scores(logits, masks, (9, 15))
    assert scores.shape == (2, 5, 9, 15)
    up = torch.nn.functional.interpolate(masks, size=(9, 15), mode="bilinear", align_corners=False).sigmoid()
    expected = (logits.softmax(-1)[..., :-1, None, None] * up[:, :, None]).sum(1)
    torch.testing.assert_close(scores, expected)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(load_config(SHAPES, *TINY))


def batch(sizes=((33, 49), (40, 31))):
    g = torch.Generator().manual_seed(2)
    out = []
    for h, w in sizes:
        sem = torch.randint(0, 7, (h, w), generator=g).to(torch.uint8)
        sem[:5] = 255
        out.append({"image": torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8), "sem_seg": sem,
                    "height": h, "width": w})
    return out


def test_training_returns_the_weighted_losses_of_every_prediction_and_they_backpropagate(model):
    model.train()
    losses = model(batch())
    layers = 2
    expected = {f"loss_{k}" + (f"_{i}" if i < layers else "") for k in ("ce", "mask", "dice") for i in range(layers + 1)}
    assert set(losses) == expected
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.decode_head.query_feat.weight.grad.abs().sum() > 0
    assert model.neck.encoder[0].self_attn.sampling_offsets.weight.grad.abs().sum() > 0
    model.zero_grad(set_to_none=True)


def test_inference_gives_the_semantic_scores_of_the_padded_batch_cropped_to_each_image(model):
    """Padding changes a Mask2Former's output (normalized position embeddings, global attention), as in the
    authors' code: each image's scores are those of the padded batch, cropped, at its original size."""
    model.eval()
    data = batch()
    with torch.no_grad():
        out = model(data)
        images, sizes = model.preprocess_images(data)
        assert images.shape[-2:] == (64, 64)  # padded to SIZE_DIVISIBILITY 32
        decoded = model.decode(model.extract_features(images))
        scores = semantic_scores(decoded["pred_logits"], decoded["pred_masks"], (64, 64))
    for i, (x, o) in enumerate(zip(data, out)):
        assert o["sem_seg"].shape == (7, x["height"], x["width"])
        assert (o["sem_seg"] >= 0).all() and (o["sem_seg"] <= 16).all()  # 16 queries, each at most 1
        torch.testing.assert_close(o["sem_seg"], scores[i, :, : x["height"], : x["width"]])


def test_the_pixel_decoder_and_the_matching_run_in_fp32_under_autocast(model):
    model.eval()
    images = torch.randn(1, 3, 64, 64)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        features = model.backbone(images)
        out = model.neck(features)
        decoded = model.decode_head(out)
        semantic = torch.zeros(1, 64, 64, dtype=torch.long)
        semantic[:, :, 32:] = 3
        indices = model.criterion.matcher(decoded["pred_logits"], decoded["pred_masks"], model.mask_targets(semantic))
    assert all(v.dtype == torch.float32 for v in out.values())
    assert indices[0][1].tolist() in ([0, 1], [1, 0])


def test_flip_views_average_the_scores_or_their_softmax_as_configured():
    cfg = load_config(SHAPES, *TINY, "TEST.FLIP", "True")
    torch.manual_seed(0)
    m = build_model(cfg).eval()
    x = batch(((33, 49),))
    with torch.no_grad():
        images, _ = m.preprocess_images(x)
        plain = m.predict_logits(images[:, :, :33, :49])
        flipped = m.predict_logits(images[:, :, :33, :49].flip(-1)).flip(-1)
        scores = m(x)[0]["sem_seg"]
        torch.testing.assert_close(scores, ((plain + flipped) / 2)[0])
        m.view_aggregate = "prob"
        probs = m(x)[0]["sem_seg"]
        torch.testing.assert_close(probs, ((plain.softmax(1) + flipped.softmax(1)) / 2)[0])


def test_sliding_windows_average_the_scores_of_each_window():
    cfg = load_config(SHAPES, *TINY, "TEST.MODE", "slide", "TEST.CROP_SIZE", "(64, 64)", "TEST.STRIDE", "(64, 32)")
    torch.manual_seed(0)
    m = build_model(cfg).eval()
    x = batch(((64, 96),))
    with torch.no_grad():
        images, _ = m.preprocess_images(x)
        left = m.predict_logits(images[:, :, :, :64])
        right = m.predict_logits(images[:, :, :, 32:96])
        scores = m(x)[0]["sem_seg"]
    torch.testing.assert_close(scores[:, :, :32], left[0, :, :, :32])
    torch.testing.assert_close(scores[:, :, 32:64], (left[0, :, :, 32:] + right[0, :, :, :32]) / 2)
    torch.testing.assert_close(scores[:, :, 64:], right[0, :, :, 32:])


@pytest.mark.parametrize("opts, message", [
    (("MODEL.HEAD.NAME", "FCNHead"), "set MODEL.HEAD.NAME to MaskedAttentionHead"),
    (("MODEL.AUX_HEADS", "['AUX_HEAD']"), "no auxiliary head"),
    (("MODEL.NECK.NAME", "FPN"), "set MODEL.NECK.NAME to MSDeformAttnPixelDecoder"),
    (("MODEL.PAD_INPUT", "True"), "set MODEL.PAD_INPUT False"),
    (("MODEL.HEAD.IN_FEATURES", "['mask_features', 'p5', 'p4']"), "must name 'mask_features' and three scales"),
    (("MODEL.MASK_FORMER.VIEW_AGGREGATE", "mean"), "VIEW_AGGREGATE must be one of"),
    (("MODEL.PIXEL_DECODER.IN_FEATURES", "['res1', 'res2']"), "add them to the backbone's OUT_FEATURES"),
])
def test_config_errors_name_the_key(opts, message):
    with pytest.raises(ValueError, match=message):
        build_model(load_config(SHAPES, *TINY, *opts))
