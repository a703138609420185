"""export_model: the file runs, matches PyTorch at two sizes, and a mismatching export is refused."""
import importlib.util
import os

import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.deploy import ExportError, ExportMismatchError, export_model
from seg_engine.deploy.export import second_size
from seg_engine.modeling import build_model

HAS_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxscript", "onnxruntime"))
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason='ONNX export needs the [export] extra: pip install -e ".[export]"')


def tiny(meta="EncoderDecoder", *opts):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.META_ARCHITECTURE", meta,
                         "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8", *opts])
    torch.manual_seed(0)
    return build_model(cfg).eval()


def test_second_size_is_odd_and_different():
    assert second_size((64, 96)) == (49, 121)


@pytest.mark.parametrize("fmt", ["torchscript", pytest.param("onnx", marks=needs_onnx)])
def test_dynamic_fcn_matches_at_two_sizes(tmp_path, fmt):
    path = str(tmp_path / f"fcn.{fmt}")
    results = export_model(tiny(), path, fmt, (64, 96), dynamic=True)
    assert [r["size"] for r in results] == [(64, 96), (49, 121)]
    for r in results:
        assert r["max_abs_diff"] <= 1e-4 * r["max_abs_logit"] and r["argmax_agreement"] == 1.0
    assert os.path.getsize(path) > 0


def test_a_trace_that_bakes_the_size_is_refused_and_deleted(tmp_path):
    """Padding to SIZE_DIVISIBILITY is computed from the traced size, so the traced graph only fits it."""
    model = tiny("EncoderDecoder", "MODEL.SIZE_DIVISIBILITY", "32")
    path = tmp_path / "padded.pt"
    with pytest.raises(ExportMismatchError, match=r"does not match PyTorch at 49x121: max \|logit difference\|"):
        export_model(model, str(path), "torchscript", (64, 96), dynamic=True)
    assert not path.exists()
    assert export_model(model, str(path), "torchscript", (64, 96))[0]["argmax_agreement"] == 1.0


@needs_onnx
def test_dynamic_pspnet_onnx_is_refused_and_deleted(tmp_path):
    """ONNX bakes the adaptive pooling's kernels for the traced size: at another size the logits differ.
    At its export size PSPNet exports fine."""
    model = tiny("PSPNet", "MODEL.HEAD.NAME", "PPMHead")
    path = tmp_path / "psp.onnx"
    with pytest.raises(ExportMismatchError, match=r"does not match PyTorch at 49x121: max \|logit difference\|"):
        export_model(model, str(path), "onnx", (64, 96), dynamic=True)
    assert not path.exists()
    assert export_model(model, str(path), "onnx", (64, 96))[0]["argmax_agreement"] == 1.0
