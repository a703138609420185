"""bfloat16 autocast and the channels-last layout on CPU give SegFormer's float32 results within stated
tolerances; ONNX export (tools/export_model.py's export_model) matches PyTorch at two sizes."""
import importlib.util
import os

import pytest
import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.parity import logits_difference
from seg_engine.utils.testing import image_batch, load_config, randomize_batchnorm

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)
NARROW = ("MODEL.MIT.EMBED_DIMS", "[16, 32, 80, 128]", "MODEL.MIT.DEPTHS", "[1, 1, 1, 1]", "MODEL.HEAD.CHANNELS", 32,
          "MODEL.NUM_CLASSES", 7, "MODEL.DEVICE", "cpu")


def model(recipe="Base-SegFormer.yaml", *opts):
    torch.manual_seed(0)
    m = build_model(load_config(os.path.join(PROJECT, "configs", recipe), *NARROW, *opts))
    with torch.no_grad():  # logits of order 1 instead of the classifier's 0.01-std initialisation
        m.decode_head.classifier.weight.normal_(0, 1 / 32 ** 0.5)
    return randomize_batchnorm(m).eval()


def logits(m, batch):
    with torch.no_grad():
        return torch.stack([o["sem_seg"] for o in m(batch)])


@pytest.mark.parametrize("recipe", ["Base-SegFormer.yaml", "Base-SegFormer-mmseg.yaml"])
def test_bfloat16_autocast_is_within_two_percent_of_the_largest_logit(recipe):
    m, batch = model(recipe), image_batch((97, 65), (97, 65))
    reference = logits(m, batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = logits(m, batch).float()
    d = logits_difference(low, reference)
    assert d["relative"] < 0.02 and d["argmax_agreement"] > 0.97, d


def test_channels_last_gives_the_same_logits_and_gradients():
    plain, cl = model(), model("Base-SegFormer.yaml", "MODEL.CHANNELS_LAST", "True")
    assert cl.backbone.stages[0].patch_embed.proj.weight.is_contiguous(memory_format=torch.channels_last)
    batch = image_batch((97, 65), (97, 65))
    d = logits_difference(logits(cl, batch), logits(plain, batch))
    assert d["relative"] < 1e-5 and d["argmax_agreement"] == 1.0, d
    train = image_batch((65, 49), (65, 49), with_masks=True, classes=7)
    grads = []
    for m in (plain, cl):
        m.train()
        torch.manual_seed(1)  # the same stochastic-depth and dropout draws
        m(train)["loss_sem_seg"].backward()
        grads.append({n: p.grad for n, p in m.named_parameters()})
    for name, g in grads[0].items():
        assert torch.allclose(g, grads[1][name], rtol=1e-4, atol=1e-5 * g.abs().max().item() + 1e-8), name


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnxscript") is None,
                    reason="ONNX export needs the [export] extra (onnx, onnxscript, onnxruntime)")
def test_onnx_export_with_dynamic_size_matches_at_two_sizes(tmp_path):
    from seg_engine.deploy import export_model

    results = export_model(model(), str(tmp_path / "segformer.onnx"), "onnx", (97, 65), dynamic=True,
                           check_sizes=[(97, 65), (64, 128)])
    assert [r["size"] for r in results] == [(97, 65), (64, 128)]
    assert all(r["max_abs_diff"] < 1e-4 * r["max_abs_logit"] and r["argmax_agreement"] == 1.0 for r in results), results
