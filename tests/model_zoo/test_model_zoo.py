"""seg_engine.model_zoo and tools/model_zoo.py: the rows, the published numbers' files, the FLOPs cache,
and MODEL_ZOO.md being what the recipes generate today."""
import difflib
import glob
import os

import pytest

from seg_engine import model_zoo
from seg_engine.model_zoo.recipes import DATA_FILES
from seg_engine.utils.testing import load_tool

ROOT = model_zoo.ROOT
model_zoo_tool = load_tool("model_zoo")

REGENERATE = "python tools/model_zoo.py --markdown"


@pytest.fixture(scope="module")
def rows():
    """Every row with FLOPs from the committed cache only (nothing counted: a few seconds)."""
    return model_zoo.list(flops=False)


def row(rows, config):
    (found,) = [r for r in rows if r.config == config]
    return found


def test_model_zoo_md_is_up_to_date(rows):
    missing = [r.config for r in rows if r.flops is None]
    assert not missing, f"FLOPs of {missing[:3]} are not in MODEL_ZOO.flops.json (model config changed?): run {REGENERATE}"
    with open(model_zoo.MARKDOWN_PATH) as f:
        committed = f.read()
    generated = model_zoo.to_markdown(rows)
    diff = "\n".join(list(difflib.unified_diff(committed.splitlines(), generated.splitlines(), "committed", "generated", lineterm=""))[:20])
    assert generated == committed, f"MODEL_ZOO.md is stale: run {REGENERATE}\n{diff}"


def test_one_row_per_recipe_of_every_project(rows):
    recipes = [p for p in glob.glob(os.path.join(ROOT, "projects", "*", "configs", "**", "*.yaml"), recursive=True)
               if not os.path.basename(p).startswith("Base-") and os.path.basename(p) not in DATA_FILES]
    assert sorted(r.config for r in rows) == sorted(os.path.relpath(p, ROOT) for p in recipes)
    assert {r.project for r in rows} >= {"PSPNet", "EncNet", "DeepLab", "FCN", "UNet", "FPN", "RefineNet"}


def test_row_of_the_authors_pspnet(rows):
    r = row(rows, "projects/PSPNet/configs/ade20k/pspnet_R50_ade20k_semseg.yaml")
    assert (r.model, r.backbone, r.dataset, r.crop, r.iterations, r.batch) == (
        "PPMHead", "ResNet-50", "ade20k_150_train", (473, 473), 126300, 16)
    assert r.parameters == 49_180_908  # the authors' PSPNet(layers=50, classes=150)
    assert r.flops_size == (473, 473) and r.flops > 1e11
    assert r.published.single_scale.miou == 41.89 and r.published.multi_scale.miou == 42.84
    assert r.published.multi_scale.scales == (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
    assert "hszhao/semseg" in r.published.source
    assert {"semseg_pspnet", "mmseg_pspnet"} <= set(r.converters)
    assert r.weights_format == "semseg_resnet_imagenet"


@pytest.mark.parametrize("config, parameters, backbone", [
    ("projects/DeepLab/configs/ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml", 68_213_900, "ResNet-50"),
    ("projects/FCN/configs/voc2012/fcn16s_vgg16_voc_paper.yaml", 134_815_994, "VGG16"),
    ("projects/DeepLab/configs/ade20k/deeplabv3plus_xception65_ade20k_seed.yaml", None, "Xception-65"),
    ("projects/FCN/configs/ade20k/fcn32s_vgg19bn_ade20k_seed.yaml", None, "VGG19-BN"),
    ("projects/UPerNet/configs/ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml", 59_941_862, "Swin-T"),
    ("projects/UPerNet/configs/ade20k/upernet_swin-b_512x512_160k_ade20k_mmseg.yaml", None, "Swin-B"),
    ("projects/UPerNet/configs/ade20k/upernet_convnext-s_512x512_160k_ade20k_mmseg.yaml", None, "ConvNeXt-S"),
    ("projects/UPerNet/configs/shapes/upernet_swin_shapes.yaml", None, "Swin (C 16, depths [1, 1, 2, 1])"),
])
def test_parameters_and_backbones(rows, config, parameters, backbone):
    r = row(rows, config)
    assert r.backbone == backbone
    if parameters is not None:  # the counts the projects pin against the reference models
        assert r.parameters == parameters


def test_whole_image_recipes_count_flops_at_the_default_size(rows):
    r = row(rows, "projects/FCN/configs/voc2012/fcn8s_vgg16_voc_paper.yaml")
    assert r.crop is None and r.flops_size == model_zoo.DEFAULT_FLOPS_SIZE
    assert "@512x512" in model_zoo.table_rows([r])[0][model_zoo.COLUMNS.index("GFLOPs")]


def test_cached_flops_equal_a_fresh_count(rows):
    r = row(rows, "projects/PSPNet/configs/shapes/pspnet_R18_shapes.yaml")
    cfg = model_zoo.load_recipe(os.path.join(ROOT, r.config))
    assert r.flops == model_zoo.compute_flops(cfg, r.flops_size) > 0


def test_flops_key_follows_the_network_and_the_size():
    cfg = model_zoo.load_recipe(os.path.join(ROOT, "projects/PSPNet/configs/shapes/pspnet_R18_shapes.yaml"))

    def key(cfg, size=(96, 96)):
        return model_zoo.flops_key(model_zoo.architecture_hash(model_zoo.build_on_meta(cfg)), size)

    other = cfg.clone()
    other.MODEL.WEIGHTS, other.MODEL.DEVICE, other.SOLVER.MAX_ITER, other.MODEL.LOSS.AVERAGE = "x.pth", "cpu", 7, "all"
    assert key(other) == key(cfg)
    other.MODEL.PSP.BINS = (1, 2, 3)
    assert key(other) != key(cfg)
    assert key(cfg, (97, 96)) != key(cfg)


def test_every_published_file_loads_and_marks_numbers_published():
    files = sorted(glob.glob(os.path.join(ROOT, "projects", "*", "configs", "published.yaml")))
    assert len(files) >= 7
    for path in files:
        entries = model_zoo.load_published(path)
        assert entries, path
        for published in entries.values():
            scores = [published.single_scale, published.multi_scale, published.protocol_not_stated]
            assert any(s is not None and 0 < s.miou < 100 for s in scores)


@pytest.mark.parametrize("entry, message", [
    ("a/r.yaml: {status: reproduced, source: s, dataset: d, single_scale: {mIoU: 1.0}}", "status must be 'published'"),
    ("a/r.yaml: {status: published, source: s, dataset: d, single_scale: {miou: 1.0}}", "expected a mapping with mIoU"),
    ("a/r.yaml: {status: published, source: s, dataset: d, single_scale: {mIoU: 1.0, scale: [1]}}", "unknown key 'scale'"),
    ("a/r.yaml: {status: published, dataset: d, single_scale: {mIoU: 1.0}}", "source is required"),
    ("a/missing.yaml: {status: published, source: s, dataset: d, single_scale: {mIoU: 1.0}}", "a/missing.yaml: no such recipe"),
    ("a/r.yaml: {status: published, source: s, dataset: d}", "needs single_scale"),
])
def test_published_file_errors_name_the_recipe_and_key(tmp_path, entry, message):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.yaml").write_text("MODEL:\n  META_ARCHITECTURE: EncoderDecoder\n")
    (tmp_path / "published.yaml").write_text(entry + "\n")
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        model_zoo.load_published(str(tmp_path / "published.yaml"))


def test_recipe_paths_skip_bases_published_and_files_without_a_meta_architecture(tmp_path):
    configs = tmp_path / "configs"
    (configs / "a").mkdir(parents=True)
    (configs / "Base-X.yaml").write_text("MODEL:\n  META_ARCHITECTURE: PSPNet\n")
    (configs / "a" / "from_base.yaml").write_text('_BASE_: "../Base-X.yaml"\nSOLVER:\n  MAX_ITER: 5\n')
    (configs / "a" / "own.yaml").write_text("MODEL:\n  META_ARCHITECTURE: FCN\n")
    (configs / "a" / "no_model.yaml").write_text("SOLVER:\n  MAX_ITER: 5\n")
    (configs / "published.yaml").write_text("{}\n")
    found = [os.path.relpath(p, configs) for p in model_zoo.recipe_paths(str(tmp_path))]
    assert found == ["a/from_base.yaml", "a/own.yaml"]


def test_tool_prints_the_table_and_writes_markdown_and_cache(rows, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(model_zoo, "list", lambda **kwargs: rows)
    assert model_zoo_tool.main([]) == 0
    out = capsys.readouterr().out
    assert "pspnet_R50_ade20k_semseg.yaml" in out and "41.89 (flip)" in out
    target = tmp_path / "MODEL_ZOO.md"
    assert model_zoo_tool.main(["--markdown", str(target)]) == 0
    assert target.read_text() == model_zoo.to_markdown(rows)
    assert "fvcore counts one multiply-add as one FLOP" in target.read_text()
    assert model_zoo.read_flops_cache(str(tmp_path / "MODEL_ZOO.flops.json")) == {r.flops_key: r.flops for r in rows if r.flops is not None}
