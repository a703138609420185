"""The after-training scripts from the command line: their output, files and one-line errors."""
import json
import os

import pytest

from seg_engine.utils.testing import load_tool


def tool(name):
    module = load_tool(name)
    return lambda *argv: module.run_tool(module.main, module.parser(), list(argv))


def test_export_torchscript_prints_the_parity_at_three_sizes_and_no_warning(tiny_demo_run, tmp_path, capsys):
    out = tmp_path / "demo.pt"
    code = tool("export_model")("--config-file", tiny_demo_run["config"], "--weights", tiny_demo_run["weights"],
                                "--format", "torchscript", "--input-size", "64", "96", "--dynamic", "--output", str(out))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert code == 0 and out.is_file() and captured.err == ""
    assert [line.split(":")[0] for line in lines[:3]] == ["64x96", "49x121", "81x73"]
    assert all("argmax agrees on 100.0000% of pixels" in line for line in lines[:3])


@pytest.mark.parametrize("args, message", [
    (["--input-size", "-5", "96"], "--input-size must be two positive integers H W, got -5 96"),
    (["--input-size", "8", "8", "--dynamic"], "--input-size 8 8 with --dynamic: H and W must be within 16..8192"),
])
def test_export_sizes_are_checked_in_one_line(tiny_demo_run, tmp_path, capsys, args, message):
    code = tool("export_model")("--config-file", tiny_demo_run["config"], "--weights", tiny_demo_run["weights"],
                                "--format", "pt2", *args, "--output", str(tmp_path / "x.pt2"))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"export_model.py: error: {message}")


def test_analyze_prints_parameters_flops_and_protocol_views(tiny_demo_run, capsys):
    code = tool("analyze_model")("--config-file", tiny_demo_run["config"], "--input-size", "64", "64", "--depth", "1",
                                 "TEST.FLIP", "True", "TEST.SCALES", "(1.0, 0.5)")
    out = capsys.readouterr().out
    assert code == 0
    assert "backbone |" in out and "decode_head |" in out
    assert "FLOPs of one whole-image view at 64x64:" in out
    assert "4 views (2 x 32x32, 2 x 64x64)" in out


def test_benchmark_prints_json(tiny_demo_run, capsys):
    code = tool("benchmark")("--config-file", tiny_demo_run["config"], "--input-size", "33", "49", "--iters", "2",
                             "--warmup", "1")
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["mode"] == "inference" and result["iterations"] == 2 and result["images_per_s"] > 0
    assert result["device"] == "cpu" and "torch" in result["environment"]


def test_visualize_data_and_plot_metrics(tiny_demo_run, tmp_path, capsys):
    assert tool("visualize_data")("--config-file", tiny_demo_run["config"], "--output", str(tmp_path / "vis"),
                                  "--source", "annotation", "--num", "2") == 0
    assert len(os.listdir(tmp_path / "vis")) == 2
    pytest.importorskip("matplotlib", reason='plot_metrics needs matplotlib: pip install -e ".[plots]"')
    metrics = os.path.join(tiny_demo_run["dir"], "metrics.json")
    assert tool("plot_metrics")(metrics, "--keys", "total_loss", "lr", "--output", str(tmp_path / "m.png")) == 0
    assert "total_loss (3 points), lr (3 points)" in capsys.readouterr().out


@pytest.mark.parametrize("name, args, message", [
    ("analyze_model", ["--config-file", "missing.yaml"], "missing.yaml"),
    ("benchmark", ["--config-file", "{config}", "MODEL.NO_SUCH_KEY", "1"], "unknown config key MODEL.NO_SUCH_KEY"),
    ("export_model", ["--config-file", "{config}", "--weights", "nowhere.pth", "--output", "x.pt"], "nowhere.pth"),
    ("plot_metrics", ["nowhere.json"], "nowhere.json"),
])
def test_user_errors_are_one_line_with_exit_2(tiny_demo_run, capsys, name, args, message):
    code = tool(name)(*[a.format(config=tiny_demo_run["config"]) for a in args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0] and err[0].startswith(f"{name}.py: error:")
