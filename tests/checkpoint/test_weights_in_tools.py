"""Weights names and URLs in the tools: convert_weights, and train_net's one-line errors and --resume."""
import json
import os

import pytest
import torch

from seg_engine.checkpoint.open_mmlab_names import OPEN_MMLAB_WEIGHTS
from seg_engine.modeling import build_model
from seg_engine.utils.testing import ROOT, load_config, load_tool, load_train_net, tiny_schedule

DEMO = os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml")
TINY = ["MODEL.DEVICE", "cpu", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"]


def load_convert_weights():
    return load_tool("convert_weights")


def backbone_state(seed: int) -> dict:
    torch.manual_seed(seed)
    model = build_model(load_config(DEMO, *TINY))
    return {k[len("backbone."):]: v for k, v in model.state_dict().items() if k.startswith("backbone.")}


def test_convert_weights_takes_a_name_and_its_implied_converter(weights_server, weights_cache, monkeypatch, tmp_path, capsys):
    stem = {"conv1": "stem.0", "bn1": "stem.1", "conv2": "stem.3", "bn2": "stem.4", "conv3": "stem.6", "bn3": "stem.7"}
    ours = backbone_state(0)
    layout = {f"{stem.get(k.split('.')[0], k.split('.')[0])}.{k.split('.', 1)[1]}": v for k, v in ours.items()}
    body = weights_server.torch_bytes(layout)
    file = f"tool_v1c-{weights_server.sha256(body)[:8]}.pth"
    weights_server.serve(f"/tools/{file}", body)
    monkeypatch.setitem(OPEN_MMLAB_WEIGHTS, "test/tool_v1c", (f"{weights_server.root}/tools/{file}", "mmseg_resnet_v1c"))
    out = tmp_path / "converted.pth"
    assert load_convert_weights().main(["open-mmlab://test/tool_v1c", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {len(ours)} tensors to {out} (mmseg_resnet_v1c)\n"
    converted = torch.load(out, weights_only=True)["model"]
    assert converted.keys() == {f"backbone.{k}" for k in ours}
    assert all(torch.equal(converted[f"backbone.{k}"], v) for k, v in ours.items())


@pytest.mark.parametrize("make_input, message", [
    (lambda server, tmp: server.serve("/tools/missing.pth", b"", status=404),
     "convert_weights: error: cannot download {input}: HTTP 404 Not Found; the file is expected at "),
    (lambda server, tmp: str(tmp / "nowhere.pth"), "convert_weights: error: {input} does not exist"),
    (lambda server, tmp: torch.save({"w": torch.zeros(1)}, tmp / "plain.pth") or str(tmp / "plain.pth"),
     "convert_weights: error: --format is required: {input} implies no converter (see --list)"),
    (lambda server, tmp: "zoo://nothing", "convert_weights: error: zoo://nothing names no weights ("),
])
def test_convert_weights_errors_are_one_line(weights_server, weights_cache, tmp_path, capsys, make_input, message):
    source = make_input(weights_server, tmp_path)
    assert load_convert_weights().main([source, str(tmp_path / "out.pth")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(input=source)) and err.count("\n") == 1, err
    assert not (tmp_path / "out.pth").exists()


def test_train_net_reports_a_bad_download_in_one_line(weights_server, tmp_path, capsys):
    url = weights_server.serve("/train/weights-00000000.pth", weights_server.torch_bytes(backbone_state(1)))
    train_net = load_train_net()
    code = train_net.cli(["--config-file", DEMO, *TINY, *tiny_schedule(1, 1), "MODEL.WEIGHTS", url, "OUTPUT_DIR", str(tmp_path / "run")])
    err = capsys.readouterr().err  # the first test to use `shapes` also shows its generation's progress
    assert code == 2
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith(f"train_net: error: sha256 mismatch for {url}: expected 00000000, got "), err
    assert err.splitlines()[-1].endswith("; the downloaded file was deleted")


@pytest.mark.slow
def test_a_run_from_a_url_resumes_without_downloading_again(weights_server, tmp_path):
    """Weights from a URL: the first run downloads them once, --resume reads last_checkpoint and no weights, a
    second run from scratch reads the cache."""
    source = backbone_state(2)
    body = weights_server.torch_bytes(source)
    path = f"/train/backbone-{weights_server.sha256(body)[:8]}.pth"
    url = weights_server.serve(path, body)
    train_net = load_train_net()
    run = str(tmp_path / "run")
    common = ["--config-file", DEMO, *TINY, "MODEL.WEIGHTS", url]
    assert train_net.cli([*common, *tiny_schedule(2, 1), "OUTPUT_DIR", run]) == 0
    assert weights_server.count(path) == 1
    started = torch.load(os.path.join(run, "model_0000000.pth"), weights_only=True)
    assert started["iteration"] == 0
    assert train_net.cli(["--resume", *common, *tiny_schedule(3, 1), "OUTPUT_DIR", run]) == 0
    with open(os.path.join(run, "metrics.json")) as f:
        iterations = [json.loads(line)["iteration"] for line in f if "total_loss" in line]
    assert iterations == [0, 1, 2]  # the resumed run went on at iteration 2
    assert train_net.cli([*common, *tiny_schedule(1, 1), "OUTPUT_DIR", str(tmp_path / "again")]) == 0
    assert weights_server.count(path) == 1
