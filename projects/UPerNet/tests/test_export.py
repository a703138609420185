"""ONNX export of Swin and ConvNeXt UPerNets: the file matches PyTorch at an odd and an even size (one static
export per size: the pyramid pooling's adaptive kernels, and Swin's window padding, are fixed at export
time, so a dynamic export is refused as PSPNet's is)."""
import importlib.util
import os

import pytest

from seg_engine.deploy import ExportMismatchError, export_model
from seg_engine.plugins import load_plugin

load_plugin(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HAS_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxscript", "onnxruntime"))
pytestmark = [pytest.mark.slow,  # a minute per export on the 2-core machine
              pytest.mark.skipif(not HAS_ONNX, reason='ONNX export needs the [export] extra: pip install -e ".[export]"')]


@pytest.mark.parametrize("design", ["swin", "convnext"])
def test_static_onnx_matches_pytorch_at_two_sizes(design, tmp_path, narrow):
    model = narrow(design).eval()
    for size in [(97, 65), (128, 96)]:
        path = tmp_path / f"{design}_{size[0]}x{size[1]}.onnx"
        (result,) = export_model(model, str(path), "onnx", size)
        assert result["size"] == size and result["argmax_agreement"] == 1.0
        assert result["max_abs_diff"] <= 1e-5 * result["max_abs_logit"] and path.stat().st_size > 0


def test_dynamic_onnx_is_refused_and_deleted(tmp_path, narrow):
    path = tmp_path / "swin.onnx"
    with pytest.raises(ExportMismatchError, match="does not match PyTorch at 73x81"):
        export_model(narrow("swin").eval(), str(path), "onnx", (97, 65), dynamic=True)
    assert not path.exists()
