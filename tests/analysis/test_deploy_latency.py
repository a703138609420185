"""tools/benchmark.py --backends: a tiny model exported and timed in each backend, interleaved with another
callable of the same image, and the argument errors."""
import importlib.util
import os

import pytest
import torch

from seg_engine.analysis.deploy_latency import backend_runners, benchmark_backends, latency_table
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.utils.testing import ROOT, load_tool

TINY = ["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH",
        "8", "MODEL.HEAD.CHANNELS", "8", "MODEL.AUX_HEAD.CHANNELS", "8"]
HAS_ONNXRUNTIME = importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("onnx") is not None


def tiny_model():
    cfg = get_cfg()
    cfg.merge_from_list(TINY)
    torch.manual_seed(0)
    return build_model(cfg).eval()


def benchmark_tool(*argv):
    module = load_tool("benchmark")
    return module.run_tool(module.main, module.parser(), list(argv))


@pytest.mark.parametrize("backends", [
    ["eager", "torchscript"],
    pytest.param(["eager", "torchscript", "pt2", "onnxruntime"], marks=[
        pytest.mark.slow, pytest.mark.skipif(not HAS_ONNXRUNTIME, reason="onnxruntime needs the [export] extra")]),
])
def test_each_backend_gives_the_eager_logits_and_is_timed_with_the_others(backends, tmp_path):
    model = tiny_model()
    calls = []
    result = benchmark_backends(model, (33, 49), backends, rounds=3, warmup=1, folder=str(tmp_path),
                                others={"other": lambda image: calls.append(tuple(image.shape))})
    assert list(result["latency"]) == backends + ["other"]
    for t in result["latency"].values():
        assert t["rounds"] == 3 and 0 < t["min_ms"] <= t["p50_ms"] <= t["p90_ms"]
    assert calls == [(1, 3, 33, 49)] * 4  # one warm-up and three timed rounds, on the same image
    assert set(result["ratios"]) == {f"{b}/other" for b in backends}
    assert all(r["ratio_images_per_s"] > 0 for r in result["ratios"].values())
    for check in result["export_checks"].values():  # every file gave PyTorch's logits at the size before timing
        assert tuple(check[0]["size"]) == (33, 49) and check[0]["relative"] < 1e-4
        assert check[0]["argmax_agreement"] == 1.0
    assert os.path.isfile(tmp_path / "model.pt") and os.path.isfile(tmp_path / "model.pt2") == ("pt2" in backends)


def test_the_table_reads_percentiles_of_the_rounds():
    table = latency_table({"a": {"seconds": [0.001, 0.002, 0.003, 0.004, 0.010], "images_per_s": 333.3, "rounds": 5}})
    assert table["a"]["p50_ms"] == pytest.approx(3.0) and table["a"]["min_ms"] == pytest.approx(1.0)
    assert table["a"]["p90_ms"] == pytest.approx(7.6)


def test_unknown_backends_are_refused(tmp_path):
    with pytest.raises(ValueError, match="--backends tensorrt: not a backend \\(known: eager, torchscript, pt2, onnxruntime\\)"):
        backend_runners(tiny_model(), (33, 49), str(tmp_path), ["eager", "tensorrt"])


@pytest.mark.parametrize("args, message", [
    (["--threads", "2"], "--threads and --export-dir go with --backends"),
    (["--backends", "eager", "--batch", "2"], "--backends times one image (the exported files take batch 1)"),
    (["--backends", "eager", "--train"], "--backends times inference of one image: drop --train"),
    (["--backends", "eager", "--input-size", "0", "64"], "--input-size must be two positive integers H W, got 0 64"),
    (["--backends", "eager", "--threads", "-1"], "--threads must be 0 (the backends' own defaults) or a positive"),
])
def test_benchmark_tool_backend_errors_exit_2(capsys, args, message):
    assert benchmark_tool("--config-file", os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml"), *args,
                          *TINY) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("benchmark.py: error:")


def test_the_backends_and_mmsegmentation_both_predict_the_whole_image():
    """The exported files do one whole-image pass; a recipe's sliding window or flips would have mmseg's model do
    more work than ours in the same rounds."""
    import argparse

    from seg_engine.analysis.benchmark_model import _for_backends

    cfg = get_cfg()
    cfg.merge_from_list(TINY + ["TEST.MODE", "slide", "TEST.FLIP", "True", "MODEL.DEVICE", "auto"])
    args = argparse.Namespace(batch=1, input_size=[33, 49], threads=0)
    whole = _for_backends(args, cfg)
    assert (whole.TEST.MODE, whole.TEST.FLIP, tuple(whole.TEST.SCALES), whole.MODEL.DEVICE) == ("whole", False, (1.0,), "cpu")
    assert cfg.TEST.MODE == "slide"  # the caller's config is left as it was
