"""tools/benchmark.py --compare-mmseg without mmsegmentation: the pairing table (by head, neck and backbone, the
config of the recipe's size), the argument and protocol errors, the install
message, and the interleaved timing with two toy models."""
import os
import sys

import pytest
import torch
from torch import nn

from seg_engine.analysis.benchmark import interleaved_timings, speed_ratio, speed_ratios
from seg_engine.interop import BACKBONE_NAMES, MMSEG_MODELS, MmsegPairing
from seg_engine.analysis.compare_mmseg import (INSTALL_HINT, check_single_view, import_mmseg,
                                               logits_difference, require_same_logits, select_mmseg_model)
from seg_engine.config import get_cfg
from seg_engine.modeling.meta_arch.inference import InferenceProtocol
from seg_engine.utils.testing import load_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml")
TINY = ["MODEL.DEVICE", "cpu", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8",
        "MODEL.AUX_HEAD.CHANNELS", "8"]


def benchmark_tool(*argv):
    module = load_tool("benchmark")
    return module.run_tool(module.main, module.parser(), list(argv))


def test_interleaved_timings_alternate_the_order_and_skip_the_warmup():
    calls = []
    timings = interleaved_timings({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                  images_per_step=2, rounds=3, warmup=1)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]  # neither always runs second
    assert [timings[n]["rounds"] for n in "ab"] == [3, 3] and [len(timings[n]["seconds"]) for n in "ab"] == [3, 3]
    assert all(0 < timings[n]["min_s"] <= timings[n]["median_s"] for n in "ab")
    assert timings["a"]["images_per_s"] == pytest.approx(2 / timings["a"]["median_s"])


def test_a_toy_model_with_100x_the_work_is_slower_in_the_ratio():
    torch.manual_seed(0)
    small = nn.Conv2d(3, 4, 3, padding=1)
    large = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1))
    x = torch.randn(1, 3, 64, 64)  # large: ~150 MFLOP a forward, far above timer noise
    optimizers = {m: torch.optim.SGD(m.parameters(), lr=0.1) for m in (small, large)}
    before = {m: [p.detach().clone() for p in m.parameters()] for m in (small, large)}

    def step(model):
        model(x).square().mean().backward()
        optimizers[model].step()
        optimizers[model].zero_grad()

    timings = interleaved_timings({"small": lambda: step(small), "large": lambda: step(large)}, 1, rounds=5, warmup=1)
    assert speed_ratio(timings, "small", "large") > 2
    assert speed_ratio(timings, "large", "small") == pytest.approx(1 / speed_ratio(timings, "small", "large"))
    ratios = speed_ratios(timings, "small", "large")
    assert ratios["ratio_images_per_s"] == speed_ratio(timings, "small", "large")
    assert ratios["ratio_of_min"] > 2 and ratios["ratio_per_round_median"] > 2
    for model in (small, large):  # both really trained, 6 steps each
        assert all(not torch.equal(a, b) for a, b in zip(before[model], model.parameters()))


def test_the_table_pairs_recipes_with_mmseg_configs(tmp_path):
    cfg = get_cfg()
    assert select_mmseg_model(cfg) == ("mmseg_fcn", "_base_/models/fcn_r50-d8.py")  # EncoderDecoder: FCN
    cfg.MODEL.HEAD.NAME = "PPMHead"
    assert select_mmseg_model(cfg) == ("mmseg_pspnet", "_base_/models/pspnet_r50-d8.py")
    cfg.MODEL.NECK.NAME = "JPU"
    assert select_mmseg_model(cfg) == ("mmseg_fastfcn_psp", "_base_/models/fastfcn_r50-d32_jpu_psp.py")
    cfg.MODEL.WEIGHTS_FORMAT = "mmseg_encnet"  # a recipe of converted mmseg weights names its converter
    assert select_mmseg_model(cfg) == ("mmseg_encnet", "_base_/models/encnet_r50-d8.py")
    mine = tmp_path / "my_pspnet.py"
    mine.write_text("model = dict()\n")
    assert select_mmseg_model(cfg, "mmseg_resnet_v1c", str(mine)) == ("mmseg_resnet_v1c", str(mine))
    assert {"mmseg_pspnet", "mmseg_encnet"} <= {name for name, _ in MMSEG_MODELS}


def test_a_pairing_that_names_its_backbone_claims_only_that_backbones_recipes(monkeypatch):
    monkeypatch.setitem(MMSEG_MODELS._obj_map, "mmseg_toy", MmsegPairing(
        "FCNHead", "", "toy/toy-s.py", backbone="build_toy_backbone",
        sizes=(("Toy-S", "toy/toy-s.py"), ("Toy-L", "toy/toy-l.py"))))
    monkeypatch.setitem(BACKBONE_NAMES._obj_map, "build_toy_backbone", lambda cfg: f"Toy-{cfg.MODEL.RESNETS.DEPTH}")
    cfg = get_cfg()
    assert select_mmseg_model(cfg)[0] == "mmseg_fcn"  # FCNHead on a ResNet
    cfg.MODEL.BACKBONE.NAME = "build_toy_backbone"
    cfg.MODEL.RESNETS.DEPTH = "S"
    assert select_mmseg_model(cfg) == ("mmseg_toy", "toy/toy-s.py")  # before mmseg_fcn, which takes any backbone
    cfg.MODEL.RESNETS.DEPTH = "L"
    assert select_mmseg_model(cfg) == ("mmseg_toy", "toy/toy-l.py")  # the config of its size
    cfg.MODEL.RESNETS.DEPTH = "XL"
    with pytest.raises(ValueError, match=r"no mmsegmentation config of Toy-XL is known \(its sizes: Toy-S, Toy-L\)"):
        select_mmseg_model(cfg)


@pytest.mark.parametrize("head, weights_format, mmseg_config, error, message", [
    ("SegNetDecoder", "", "", ValueError, "no mmsegmentation model is known for MODEL.HEAD.NAME 'SegNetDecoder'"),
    ("PPMHead", "no_such_converter", "", KeyError, "--weights-format 'no_such_converter' is not a registered"),
    ("PPMHead", "mmseg_resnet_v1c", "", ValueError, "no mmsegmentation config is known for converter 'mmseg_resnet"),
    ("PPMHead", "", "nowhere/pspnet.py", FileNotFoundError, "--mmseg-config 'nowhere/pspnet.py' is not a file"),
])
def test_unknown_pairings_are_refused_in_one_line(head, weights_format, mmseg_config, error, message):
    cfg = get_cfg()
    cfg.MODEL.HEAD.NAME = head
    with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")):
        select_mmseg_model(cfg, weights_format, mmseg_config)


def test_flip_and_scales_are_refused_and_so_are_different_logits():
    check_single_view(InferenceProtocol(mode="slide"))
    with pytest.raises(ValueError, match="set TEST.FLIP False and TEST.SCALES"):
        check_single_view(InferenceProtocol(flip=True))
    with pytest.raises(ValueError, match="set TEST.FLIP False and TEST.SCALES"):
        check_single_view(InferenceProtocol(scales=(0.5, 1.0)))
    theirs = torch.randn(1, 5, 7, 9)
    same = logits_difference(theirs + 1e-6, theirs)
    assert same["argmax_agreement"] == 1.0 and same["relative"] < 1e-5
    require_same_logits(same)
    with pytest.raises(ValueError, match="the logits differ .* no ratio reported"):
        require_same_logits(logits_difference(theirs + 0.01 * theirs.abs().max(), theirs))


def test_without_mmseg_one_line_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mmcv", None)  # as if not installed, even where it is
    monkeypatch.setitem(sys.modules, "mmseg", None)
    with pytest.raises(ImportError, match="pip install mmengine mmsegmentation==1.2.2 ftfy regex && "
                                          r"pip install --no-deps mmcv-lite==2\.1\.0"):
        import_mmseg()
    assert benchmark_tool("--config-file", DEMO, "--compare-mmseg", *TINY) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"benchmark.py: error: {INSTALL_HINT}")


@pytest.mark.parametrize("args, message", [
    (["--mmseg-config", "x.py"], "--mmseg-config and --weights-format go with --compare-mmseg"),
    (["--compare-mmseg", "--train"], "--compare-mmseg times inference and a training step itself"),
    (["--compare-mmseg", "TEST.FLIP", "True"], "set TEST.FLIP False and TEST.SCALES"),
    (["--compare-mmseg", "MODEL.HEAD.NAME", "RefineNetHead", "MODEL.HEAD.IN_FEATURES", "['res5', 'res4']",
      "MODEL.HEAD.NORM", "''"], "no mmsegmentation model is known"),
])
def test_benchmark_tool_argument_errors_exit_2(capsys, args, message):
    assert benchmark_tool("--config-file", DEMO, *args, *TINY) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("benchmark.py: error:")
