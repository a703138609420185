"""tools/check_parity.py without any real reference installed: a toy reference (a plain-torch net in a throwaway
"checkout") with its converter, registered by the test. The right converter passes at both sizes through both
loading paths; a converter with a BGR/RGB slip fails; --negative fails; a missing checkout or package is one line
with the command that gets it (exit 2)."""
import json
import os
import textwrap

import pytest
import torch

from seg_engine.checkpoint import LAYOUTS, WEIGHT_CONVERTERS, WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import children, prefix
from seg_engine.parity import (PARITY_REFERENCES, ParityReference, Requirement, register_parity_reference)
from seg_engine.parity.adapters import data_parallel_file, normalized
from seg_engine.parity.checkout import import_from_checkout
from seg_engine.parity.tool import main, parse_sizes
from seg_engine.utils.testing import ROOT

CONVERT_TOOL = os.path.join(ROOT, "tools", "convert_weights.py")

TOY_NET = '''
import torch.nn.functional as F
from torch import nn


class ToyNet(nn.Module):
    """VGG-11's first three blocks with BatchNorm, width 4, and an FCN head on pool3 (stride 8)."""

    def __init__(self, num_classes=3, width=4):
        super().__init__()
        layers, channels = [], 3
        for out, convs in ((width, 1), (2 * width, 1), (4 * width, 2)):
            for _ in range(convs):
                layers += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                channels = out
            layers.append(nn.MaxPool2d(2, 2))
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Conv2d(channels, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True), nn.Dropout2d(0.1), nn.Conv2d(8, num_classes, 1))

    def forward(self, x):
        assert x.shape[-1] > 16, "too small"
        return F.interpolate(self.head(self.body(x)), size=x.shape[-2:], mode="bilinear", align_corners=False)
'''

RECIPE = '''
_BASE_: "seg_engine://Base-Segmentation.yaml"
MODEL:
  NUM_CLASSES: 3
  ALIGN_CORNERS: False
  BACKBONE:
    NAME: "build_vgg_backbone"
  VGG:
    DEPTH: 11
    NORM: "BN"
    BASE_WIDTH: 4
    OUT_FEATURES: ["pool3"]
  HEAD:
    IN_FEATURES: ["pool3"]
    CHANNELS: 8
'''

RULES = prefix("body", "backbone.features") + children("head", "decode_head", {
    "0": "convs.0.0", "1": "convs.0.1", "4": "classifier"})


def rgb_as_bgr(state):
    """The classic slip: the first conv's input channels reversed where the reference takes RGB too."""
    return {**state, "backbone.features.0.weight": state["backbone.features.0.weight"].flip(1)}


def build_toy(root):
    return import_from_checkout(root, "toy_reference.net").ToyNet()


def toy_logits(model, images):
    return model(normalized(images))


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy checkout, our recipe for it, the right and a broken converter and their parity entries; unregistered
    afterwards."""
    root = tmp_path_factory.mktemp("checkouts")
    package = root / "toy-reference" / "toy_reference"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "net.py").write_text(TOY_NET)
    recipe = root / "toy_recipe.yaml"
    recipe.write_text(textwrap.dedent(RECIPE))
    requirement = Requirement(repository="example/toy-reference", marker="toy_reference/net.py")
    names = ["toy_parity", "toy_parity_broken"]
    for name, finish in zip(names, (None, rgb_as_bgr)):
        register_layout(WeightLayout(name=name, source="a toy reference's DataParallel checkpoint", rules=RULES,
                                     finish=finish, recipe=str(recipe)))
        register_parity_reference(ParityReference(
            name=name, converter=name, reference="toy_reference.net.ToyNet()", requires=requirement, build=build_toy,
            logits=toy_logits, checkpoint=data_parallel_file))
    register_parity_reference(ParityReference(
        name="toy_parity/pip", converter="toy_parity", reference="a toy from a package that is not installed",
        requires=Requirement(modules=("no_such_parity_module",), install="pip install no-such-parity-package"),
        build=build_toy, logits=toy_logits))
    yield {"root": str(root), "checkout": str(root / "toy-reference")}
    for name in names:
        LAYOUTS.pop(name)
        WEIGHT_CONVERTERS._obj_map.pop(name)
    for name in [*names, "toy_parity/pip"]:
        PARITY_REFERENCES.pop(name)


def run(tmp_path, *argv):
    report_file = tmp_path / "report.json"
    code = main([*argv, "--json", str(report_file)], convert_tool=CONVERT_TOOL)
    return code, (json.loads(report_file.read_text())["reports"] if report_file.exists() else None)


def test_the_right_converter_passes_at_both_sizes_through_both_paths(toy, tmp_path, capsys):
    code, reports = run(tmp_path, "toy_parity", "--reference-root", toy["root"])
    (report,) = reports
    assert code == 0 and report["passed"]
    assert [row["size"] for row in report["sizes"]] == [[97, 65], [128, 96]]
    for row in report["sizes"]:
        assert row["relative"] < 1e-5 and row["argmax_agreement"] == 1.0 and row["offline_max_abs_diff"] == 0.0
        assert row["shape"] == [2, 3, *row["size"]]
        assert 1 < row["max_abs_logit"] < 100  # rescaled: neither saturated nor vanishing
    assert report["keys"]["missing"] == report["keys"]["unexpected"] == report["keys"]["other_shape"] == []
    assert report["parameters"]["ours"] == report["parameters"]["reference"] == sum(
        p.numel() for p in build_toy(toy["checkout"]).parameters())
    assert report["rescaled_layers"] == 6
    assert "PASS" in capsys.readouterr().out


def test_a_converter_that_swaps_rgb_and_bgr_fails(toy, tmp_path, capsys):
    code, (report,) = run(tmp_path, "toy_parity_broken", "--reference-root", toy["checkout"], "--sizes", "33x49")
    assert code == 1 and not report["passed"]
    (row,) = report["sizes"]
    assert row["size"] == [33, 49] and row["relative"] > 1e-2
    assert "FAIL" in capsys.readouterr().out


def test_a_setting_after_the_entry_s_can_break_parity(toy, tmp_path):
    code, (report,) = run(tmp_path, "toy_parity", "--reference-root", toy["root"], "--sizes", "33x49",
                          "MODEL.ALIGN_CORNERS", "True")
    assert code == 1 and report["opts"][-2:] == ["MODEL.ALIGN_CORNERS", "True"]
    assert report["sizes"][0]["relative"] > 1e-3


def test_the_negative_control_fails(toy, tmp_path):
    code, (report,) = run(tmp_path, "toy_parity", "--reference-root", toy["root"], "--negative", "--sizes", "33x49")
    assert code == 1 and not report["passed"]
    assert report["negative_control"].startswith("output channels 0 and 1 of body.")
    assert report["sizes"][0]["relative"] > 1e-3


def test_a_missing_checkout_is_one_line_with_the_clone_command(toy, tmp_path, capsys):
    assert main(["toy_parity"], convert_tool=CONVERT_TOOL) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "git clone https://github.com/example/toy-reference" in err and "--reference-root" in err
    assert main(["toy_parity", "--reference-root", str(tmp_path)]) == 2
    assert "holds no toy_reference/net.py" in capsys.readouterr().err


def test_a_missing_package_is_one_line_with_the_install_command(toy, capsys):
    assert main(["toy_parity/pip"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install no-such-parity-package" in err


def test_a_size_the_reference_refuses_is_one_line(toy, capsys):
    assert main(["toy_parity", "--reference-root", toy["root"], "--sizes", "33x16"]) == 2
    err = capsys.readouterr().err
    assert "refuses 33x16 inputs (too small)" in err and err.count("\n") == 1


def test_list_names_every_converter_and_how_to_get_its_reference(toy, capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name, _ in WEIGHT_CONVERTERS:
        assert name in out
    assert "toy_parity/pip (toy_parity)" in out and "pip install no-such-parity-package" in out
    assert "git clone https://github.com/example/toy-reference" in out


def test_bad_sizes_and_names_are_one_line(toy, capsys):
    with pytest.raises(ValueError, match="'97-65' is not HEIGHTxWIDTH"):
        parse_sizes("97x65,97-65")
    assert main(["no_such_converter"]) == 2
    assert "'no_such_converter' is neither a converter" in capsys.readouterr().err


def test_table_of_reports(toy, tmp_path, capsys):
    code, _ = run(tmp_path, "toy_parity", "--reference-root", toy["root"], "--sizes", "33x49")
    assert code == 0
    capsys.readouterr()
    assert main(["--table", str(tmp_path / "report.json")]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2].startswith("| `toy_parity` | example/toy-reference ") and table[2].endswith("| pass |")
    assert "33x49: " in table[2] and " = " in table[2] and "100.00 %" in table[2]
