"""export_model: the file runs, matches PyTorch at three sizes, and a mismatching export is refused."""
import importlib.util
import os
import warnings

import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import get_cfg
from seg_engine.deploy import ExportError, ExportMismatchError, export_model
from seg_engine.deploy.export import second_size, third_size
from seg_engine.modeling import build_model
from seg_engine.modeling.layers import adaptive_avg_pool2d_by_matmul, exportable_adaptive_avg_pool2d

HAS_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxscript", "onnxruntime"))
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason='ONNX export needs the [export] extra: pip install -e ".[export]"')


def tiny(meta="EncoderDecoder", *opts):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.META_ARCHITECTURE", meta,
                         "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8", *opts])
    torch.manual_seed(0)
    return build_model(cfg).eval()


def test_the_other_sizes_are_odd_of_both_aspects_and_inside_the_dynamic_range():
    assert second_size((64, 96)) == (49, 121) and third_size((64, 96)) == (81, 73)
    assert second_size((16, 16)) == (16, 21) and third_size((16, 16)) == (21, 16)


@pytest.mark.parametrize("fmt", ["torchscript", "pt2", pytest.param("onnx", marks=needs_onnx)])
def test_dynamic_fcn_matches_at_three_sizes_without_warnings(tmp_path, fmt):
    """torch 2.14 deprecates every torch.jit call and the tracer warns where our code compares sizes:
    none of it reaches the user (the check at three sizes is what tells whether the trace fits)."""
    path = str(tmp_path / f"fcn.{fmt}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = export_model(tiny(), path, fmt, (64, 96), dynamic=True)
    assert [str(w.message) for w in caught] == []
    assert [r["size"] for r in results] == [(64, 96), (49, 121), (81, 73)]
    for r in results:
        assert r["max_abs_diff"] <= 1e-4 * r["max_abs_logit"] and r["argmax_agreement"] == 1.0
    assert os.path.getsize(path) > 0


def test_a_trace_that_bakes_the_size_is_refused_and_deleted(tmp_path):
    """Padding to SIZE_DIVISIBILITY is computed from the traced size, so the traced graph only fits it;
    the error names the lines where the tracer warned."""
    model = tiny("EncoderDecoder", "MODEL.SIZE_DIVISIBILITY", "32")
    path = tmp_path / "padded.pt"
    with pytest.raises(ExportMismatchError, match=r"does not match PyTorch at 49x121: max \|logit difference\|.*"
                                                  r"the tracer flagged .*encoder_decoder.py:\d+"):
        export_model(model, str(path), "torchscript", (64, 96), dynamic=True)
    assert not path.exists()
    assert export_model(model, str(path), "torchscript", (64, 96))[0]["argmax_agreement"] == 1.0


@pytest.mark.slow
def test_pt2_of_a_model_that_pads_to_a_multiple_says_which_sizes_it_takes(tmp_path):
    model = tiny("EncoderDecoder", "MODEL.SIZE_DIVISIBILITY", "32")
    with pytest.raises(ExportMismatchError, match=r"at 49x121: running the file failed: Guard failed: "
                                                  r"32 \* \(\(31 \+ image.size\(\)\[2\]\) // 32\) == image.size\(\)\[2\]"):
        export_model(model, str(tmp_path / "padded.pt2"), "pt2", (64, 96), dynamic=True)


@pytest.mark.parametrize("size, dynamic, message", [
    ((-5, 96), False, "--input-size must be two positive integers H W, got -5 96"),
    ((0, 96), False, "--input-size must be two positive integers H W, got 0 96"),
    ((8, 8), True, "--input-size 8 8 with --dynamic: H and W must be within 16..8192"),
])
def test_bad_sizes_are_one_clear_line(tmp_path, size, dynamic, message):
    with pytest.raises(ValueError, match=message):
        export_model(tiny(), str(tmp_path / "x.pt2"), "pt2", size, dynamic=dynamic)
    assert not (tmp_path / "x.pt2").exists()


@pytest.mark.parametrize("size", [(64, 96), (49, 121), (7, 5), (3, 3)])
def test_pooling_by_matmul_is_adaptive_average_pooling(size):
    x = torch.randn(2, 4, *size)
    for bins in (1, 2, 3, 6):
        torch.testing.assert_close(adaptive_avg_pool2d_by_matmul(x, bins), F.adaptive_avg_pool2d(x, bins),
                                   rtol=0, atol=1e-6)


def test_exportable_pooling_is_pytorchs_kernel_outside_an_export():
    x = torch.randn(1, 4, 49, 121)
    assert torch.equal(exportable_adaptive_avg_pool2d(x, 3), F.adaptive_avg_pool2d(x, 3))


@pytest.mark.slow
@needs_onnx
def test_dynamic_pspnet_onnx_matches_at_three_sizes(tmp_path):
    """The pyramid pooling exports through pooling matrices computed from the input's size, where
    ONNX's adaptive pooling bakes the traced size's kernels in (a max |diff| of 1e-2 at other sizes)."""
    model = tiny("PSPNet", "MODEL.HEAD.NAME", "PPMHead")
    path = tmp_path / "psp.onnx"
    results = export_model(model, str(path), "onnx", (64, 96), dynamic=True)
    assert [r["size"] for r in results] == [(64, 96), (49, 121), (81, 73)]
    for r in results:
        assert r["max_abs_diff"] <= 1e-5 * r["max_abs_logit"] and r["argmax_agreement"] == 1.0
    assert path.is_file()


class DataDependent(torch.nn.Module):
    """A model whose branch depends on pixel values: torch.export refuses it, tracing bakes the branch."""

    def __init__(self):
        super().__init__()
        self.register_buffer("pixel_mean", torch.zeros(1, 3, 1, 1))
        self.register_buffer("pixel_std", torch.ones(1, 3, 1, 1))

    def predict_logits(self, x):
        return x if x.mean() > 0 else -x


def test_what_torch_export_refuses_is_one_line_without_colours_pointing_to_torchscript(tmp_path):
    with pytest.raises(ExportError) as error:
        export_model(DataDependent(), str(tmp_path / "x.pt2"), "pt2", (32, 32))
    message = str(error.value)
    assert message.startswith("the pt2 exporter failed: ") and len(message.splitlines()) == 1
    assert "\x1b" not in message and message.endswith("; --format torchscript traces models that torch.export cannot take")
    assert not (tmp_path / "x.pt2").exists()
