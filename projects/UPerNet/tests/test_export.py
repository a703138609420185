"""ONNX export of Swin and ConvNeXt UPerNets: a static file matches PyTorch at an odd and an even size; with dynamic
H and W the ConvNeXt UPerNet matches at three sizes (the core's pyramid pooling exports its pooling from the input's
size), while Swin's window padding and shift masks are fixed when the graph is exported, so its dynamic export is
refused and deleted."""
import importlib.util
import os

import pytest

from seg_engine.deploy import ExportMismatchError, export_model
from seg_engine.plugins import load_plugin

load_plugin(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HAS_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxscript", "onnxruntime"))
pytestmark = [pytest.mark.slow,  # one to ten minutes per export on the loaded 2-core machine
              pytest.mark.skipif(not HAS_ONNX, reason='ONNX export needs the [export] extra: pip install -e ".[export]"')]


@pytest.mark.parametrize("design", ["swin", "convnext"])
def test_static_onnx_matches_pytorch_at_two_sizes(design, tmp_path, narrow):
    model = narrow(design).eval()
    for size in [(97, 65), (128, 96)]:
        path = tmp_path / f"{design}_{size[0]}x{size[1]}.onnx"
        (result,) = export_model(model, str(path), "onnx", size)
        assert result["size"] == size and result["argmax_agreement"] == 1.0
        assert result["max_abs_diff"] <= 1e-5 * result["max_abs_logit"] and path.stat().st_size > 0


def test_dynamic_convnext_onnx_matches_at_three_sizes(tmp_path, narrow):
    path = tmp_path / "convnext.onnx"
    results = export_model(narrow("convnext").eval(), str(path), "onnx", (97, 65), dynamic=True)
    assert [r["size"] for r in results] == [(97, 65), (73, 81), (121, 49)]
    for r in results:
        assert r["max_abs_diff"] <= 1e-5 * r["max_abs_logit"] and r["argmax_agreement"] == 1.0
    assert path.is_file()


def test_dynamic_swin_onnx_is_refused_and_deleted(tmp_path, narrow):
    path = tmp_path / "swin.onnx"
    with pytest.raises(ExportMismatchError, match="export does not match PyTorch at"):
        export_model(narrow("swin").eval(), str(path), "onnx", (97, 65), dynamic=True)
    assert not path.exists()
