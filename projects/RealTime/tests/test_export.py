"""Every network exports with symbolic H and W and match PyTorch at the export size and at an odd one
(seg_engine.deploy.export_model refuses the file otherwise): the padding to a multiple of 8 traces."""
import importlib.util
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realtime_test_helpers import SHAPES, build  # noqa: E402

from seg_engine.deploy import export_model  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("recipe", SHAPES)
@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_dynamic_export_matches_pytorch_at_two_sizes(recipe, fmt, tmp_path):
    if fmt == "onnx" and not all(importlib.util.find_spec(m) for m in ("onnx", "onnxscript", "onnxruntime")):
        pytest.skip("ONNX export needs the [export] extra (onnx, onnxscript, onnxruntime)")
    model = build(f"shapes/{recipe}")
    results = export_model(model, str(tmp_path / "model"), fmt, (64, 96), dynamic=True, check_sizes=[(64, 96), (45, 71)])
    assert [r["size"] for r in results] == [(64, 96), (45, 71)]
    assert all(r["argmax_agreement"] >= 0.999 for r in results)
