"""The trained zoo's tables (projects/*/configs/trained.yaml): their schema and its one-line errors, the committed
tables, their generator (on a small mmsegmentation config tree and torchvision's enums), and tools/model_zoo.py
--pretrained."""
import os
import textwrap

import pytest
import yaml

from seg_engine.config import ConfigError, get_cfg
from seg_engine.model_zoo import trained
from seg_engine.model_zoo.generate_trained import GENERATED, Recipes, flat, mmseg_rows, render, torchvision_rows
from seg_engine.utils.testing import ROOT, load_config, load_tool

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
PSP = "seg_engine://PSPNet/ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml"
ROW = {"url": "https://example.org/m/pspnet-0123abcd.pth", "converter": "mmseg_pspnet", "recipe": PSP,
       "dataset": "ADE20K", "licence": "Apache License 2.0"}


def write_table(tmp_path, table) -> str:
    path = tmp_path / "configs" / "trained.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(table, sort_keys=False))
    return str(path)


def test_the_committed_tables_load_and_name_what_exists():
    rows = trained.trained_models()
    projects = {r.project for r in rows.values()}
    assert {"PSPNet", "DeepLab", "FCN", "FPN", "EncNet"} <= projects
    keys = set(flat(get_cfg()))
    for row in rows.values():
        assert row.recipe.startswith(f"seg_engine://{row.project}/")
        assert [k for k, _ in row.opts if k not in keys] == [], row.name
        assert row.url.startswith("https://") and row.licence and row.dataset
    for project in ("PSPNet", "DeepLab", "FCN", "FPN", "EncNet", "UNet"):
        with open(os.path.join(ROOT, "projects", project, "configs", "trained.yaml")) as f:
            assert f.readline().startswith(GENERATED)
    # mmsegmentation's name for its rows, with the published numbers of its metafile
    psp = rows["pspnet_r101-d8_4xb4-80k_ade20k-512x512"]
    assert psp.url.endswith("-b6e782f0.pth") and psp.converter == "mmseg_pspnet" and psp.recipe == PSP
    assert dict(psp.opts) == {"MODEL.WEIGHTS": "open-mmlab://resnet101_v1c", "MODEL.RESNETS.DEPTH": 101,
                              "SOLVER.CHECKPOINT_PERIOD": 8000, "TEST.EVAL_PERIOD": 8000}
    assert dict(psp.published) == {"mIoU": 43.57, "mIoU_ms_flip": 44.35}
    tv = rows["deeplabv3_resnet101.COCO_WITH_VOC_LABELS_V1"]
    assert (tv.converter, dict(tv.opts)["MODEL.RESNETS.DEPTH"], tv.miou) == ("torchvision_deeplabv3", 101, 67.4)
    assert any(s.name == "pspnet_r101-d8_4xb4-40k_pascal-context-480x480" and "Pascal Context" in s.reason
               for s in trained.skipped_models())


@pytest.mark.slow
def test_every_row_builds_its_network_with_its_class_count():
    """Each row's recipe with its opts loads and builds (on the meta device) with the classes of its dataset."""
    from seg_engine.utils.testing import build_on_meta

    for row in trained.trained_models().values():
        cfg = row.config()
        model = build_on_meta(cfg)
        assert model.num_classes == trained.recipe_value(row.recipe, "MODEL.NUM_CLASSES", row.opts), row.name


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, r"x.yaml: m: unknown key 'colour' \(known: url, converter"),
    ({"licence": ""}, r"x.yaml: m: licence is required"),
    ({"converter": "mmseg_nothing"}, r"x.yaml: m: converter 'mmseg_nothing' is not registered"),
    ({"recipe": "ade20k/none.yaml"}, r"x.yaml: m: recipe ade20k/none.yaml does not exist"),
    ({"recipe": "seg_engine://PSPNet/none.yaml"}, r"x.yaml: m: recipe seg_engine://PSPNet/none.yaml: .*has no recipe"),
    ({"url": "ftp://host/m.pth"}, r"x.yaml: m: url must be an http\(s\) URL"),
    ({"published": {"mIoU_tta": 1.0}}, r"x.yaml: m: unknown key 'published.mIoU_tta'"),
    ({"published": {"mIoU": "high"}}, r"x.yaml: m: published.mIoU must be a number"),
    ({"opts": {"model.depth": 1}}, r"x.yaml: m: opts key 'model.depth' is not a config key"),
    ({"sha256": "xyz"}, r"x.yaml: m: sha256 must be hex digits"),
])
def test_a_mistake_is_one_error_naming_the_file_the_row_and_the_key(tmp_path, change, message):
    path = write_table(tmp_path, {"m": {**ROW, **change}})
    with pytest.raises(ConfigError, match="^" + message.replace("x.yaml", ".*trained.yaml")):
        trained.load_trained(path, "PSPNet")


def test_hand_written_spellings_and_the_skipped_section(tmp_path):
    path = write_table(tmp_path, {
        "a": {**ROW, "recipe": "ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml", "sha256_prefix": "0123ABCD",
              "published_mIoU": 47.2, "source": "a zoo", "hf_id": "org/a", "note": "n"},
        "b": {**ROW, "converter": "", "published": None, "opts": {"MODEL.NUM_CLASSES": 19}},
        "c": {**ROW, "published": {"protocol_not_stated": 37.4, "source": "paper"}, "licence": "CC BY-NC 4.0"},
        "skipped": {"d": "trained on LoveDA"},
    })
    os.symlink(os.path.join(ROOT, "projects", "PSPNet", "configs", "ade20k"), tmp_path / "configs" / "ade20k")
    rows, skipped = trained.load_trained(path, "PSPNet")
    a, b, c = rows
    assert (a.recipe, a.sha256, a.miou, a.hf_id, a.non_commercial) == (PSP, "0123abcd", 47.2, "org/a", False)
    assert (b.converter, b.published, b.opts_list()) == ("", (), ["MODEL.NUM_CLASSES", "19"])
    assert (c.miou, c.published_source, c.non_commercial) == (37.4, "paper", True)
    assert [(s.name, s.project, s.reason) for s in skipped] == [("d", "PSPNet", "trained on LoveDA")]
    assert trained.recipe_value(b.recipe, "MODEL.NUM_CLASSES", b.opts) == 19
    assert trained.recipe_value(a.recipe, "MODEL.NUM_CLASSES") == 150  # from the recipe, not its base
    assert trained.recipe_value(a.recipe, "MODEL.PSP.REDUCTION_CHANNELS") == 512  # from its base


def test_the_pretrained_listing_prints_one_row_per_line_with_its_url(capsys):
    tool = load_tool("model_zoo")
    assert tool.main(["--pretrained"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(trained.trained_models())
    (line,) = [x for x in lines if x.startswith("fcn_resnet50.COCO_WITH_VOC_LABELS_V1 ")]
    assert line.split()[-1] == "https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth"
    assert " 21 " in line and " 60.5 " in line and "torchvision_fcn" in line
    assert tool.main(["--pretrained", "--skipped"]) == 0
    assert "pspnet_r101-d8_4xb4-40k_pascal-context-480x480" in capsys.readouterr().out


MMSEG_METAFILE = """
Collections:
- Name: PSPNet
  License: Apache License 2.0
Models:
- Name: pspnet_r50-d8_4xb4-80k_ade20k-512x512
  In Collection: PSPNet
  Results: {Task: Semantic Segmentation, Dataset: ADE20K, Metrics: {mIoU: 41.13, mIoU(ms+flip): 41.94}}
  Config: configs/pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py
  Weights: https://download.openmmlab.com/m/pspnet_r50-d8_512x512_80k_ade20k-5b5a0a1b.pth
- Name: pspnet_r101-d8_4xb4-80k_cityscapes-512x1024
  In Collection: PSPNet
  Results: {Task: Semantic Segmentation, Dataset: Cityscapes, Metrics: {mIoU: 79.0}}
  Config: configs/pspnet/pspnet_r101-d8_4xb4-80k_cityscapes-512x1024.py
  Weights: https://download.openmmlab.com/m/pspnet_r101-d8_512x1024_80k_cityscapes-0123abcd.pth
- Name: pspnet_r50-d8_4xb4-40k_loveda-512x512
  In Collection: PSPNet
  Results: {Task: Semantic Segmentation, Dataset: LoveDA, Metrics: {mIoU: 48.62}}
  Config: configs/pspnet/pspnet_r50-d8_4xb4-40k_loveda-512x512.py
  Weights: https://download.openmmlab.com/m/loveda.pth
- Name: pspnet_r50b-d8_4xb4-80k_ade20k-512x512
  In Collection: PSPNet
  Results: {Task: Semantic Segmentation, Dataset: ADE20K, Metrics: {mIoU: 41.0}}
  Config: configs/pspnet/pspnet_r50b-d8_4xb4-80k_ade20k-512x512.py
  Weights: https://download.openmmlab.com/m/r50b.pth
- Name: pspnet_r50-d8_4xb4-80k_ade20k-512x512-rsb
  In Collection: PSPNet
  Results: {Task: Semantic Segmentation, Dataset: ADE20K, Metrics: {mIoU: 40.0}}
  Config: configs/pspnet/pspnet_r50-d8-rsb_4xb4-80k_ade20k-512x512.py
  Weights: https://download.openmmlab.com/m/rsb.pth
"""


@pytest.fixture
def mmseg_configs(tmp_path):
    """mmsegmentation's PSPNet configs (tests/model_zoo/data/mmseg, as released, comments left out), a metafile
    and configs of its own: Cityscapes at depth 101, the r50b form (mmseg's ResNet on torchvision's file), and a
    ResNet given ResNetV1c's ImageNet file, which the importer refuses."""
    configs = tmp_path / "mmseg" / ".mim" / "configs"
    for folder, _, files in os.walk(os.path.join(DATA, "mmseg")):
        for name in files:
            source = os.path.join(folder, name)
            target = configs / os.path.relpath(source, os.path.join(DATA, "mmseg"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(open(source).read())
    (configs / "pspnet" / "metafile.yaml").write_text(MMSEG_METAFILE)
    (configs / "pspnet" / "pspnet_r101-d8_4xb4-80k_cityscapes-512x1024.py").write_text(textwrap.dedent("""
        _base_ = ['../_base_/models/pspnet_r50-d8.py', '../_base_/datasets/cityscapes.py',
                  '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py']
        model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101),
                     test_cfg=dict(mode="slide", crop_size=(512, 1024), stride=(256, 512)))
        train_dataloader = dict(batch_size=4)
    """))
    (configs / "pspnet" / "pspnet_r50-d8-rsb_4xb4-80k_ade20k-512x512.py").write_text(
        "_base_ = './pspnet_r50-d8_4xb4-80k_ade20k-512x512.py'\nmodel = dict(backbone=dict(type='ResNet'))\n")
    (configs / "pspnet" / "pspnet_r50b-d8_4xb4-80k_ade20k-512x512.py").write_text(
        "_base_ = './pspnet_r50-d8_4xb4-80k_ade20k-512x512.py'\n"
        "model = dict(pretrained='torchvision://resnet50', backbone=dict(type='ResNet'))\n")
    (configs / "pspnet" / "pspnet_r50-d8_4xb4-40k_loveda-512x512.py").write_text(
        "_base_ = './pspnet_r50-d8_4xb4-80k_ade20k-512x512.py'\n")
    return str(configs)


def test_the_generator_finds_the_recipe_and_writes_the_differing_keys(mmseg_configs, tmp_path):
    rows, skipped = mmseg_rows(mmseg_configs, "1.2.2", Recipes())
    ade = rows["PSPNet"]["pspnet_r50-d8_4xb4-80k_ade20k-512x512"]
    assert (ade["recipe"], ade["converter"]) == (PSP, "mmseg_pspnet")
    # the recipe checkpoints and evaluates every 16,000 iterations, mmsegmentation's schedule every 8,000
    assert ade["opts"] == {"SOLVER.CHECKPOINT_PERIOD": 8000, "TEST.EVAL_PERIOD": 8000}
    assert ade["published"] == {"mIoU": 41.13, "mIoU_ms_flip": 41.94} and ade["licence"] == "Apache License 2.0"
    city = rows["PSPNet"]["pspnet_r101-d8_4xb4-80k_cityscapes-512x1024"]
    assert city["recipe"] == PSP and city["opts"]["MODEL.RESNETS.DEPTH"] == 101
    assert city["opts"]["DATASETS.TEST"] == ["cityscapes_fine_val"] and city["opts"]["MODEL.NUM_CLASSES"] == 19
    assert (city["opts"]["TEST.MODE"], city["opts"]["TEST.STRIDE"]) == ("slide", [256, 512])
    cfg = load_config(city["recipe"], *[w for k, v in city["opts"].items() for w in (k, v if isinstance(v, str) else repr(v))])
    assert (cfg.MODEL.WEIGHTS, tuple(cfg.INPUT.TEST.SCALE), cfg.SOLVER.IMS_PER_BATCH) == ("open-mmlab://resnet101_v1c", (2048, 1024), 16)
    assert skipped["PSPNet"]["pspnet_r50-d8_4xb4-40k_loveda-512x512"].startswith("trained on LoveDA, which is not registered")
    assert "model.pretrained='open-mmlab://resnet50_v1c (a ResNetV1c file) on a ResNet'" in \
        skipped["PSPNet"]["pspnet_r50-d8_4xb4-80k_ade20k-512x512-rsb"]
    r50b = rows["PSPNet"]["pspnet_r50b-d8_4xb4-80k_ade20k-512x512"]  # mmseg's ResNet: torchvision's stem and file
    assert {k: r50b["opts"][k] for k in ("MODEL.RESNETS.STEM", "MODEL.RESNETS.STEM_WIDTH", "MODEL.WEIGHTS",
                                          "MODEL.WEIGHTS_FORMAT")} == {
        "MODEL.RESNETS.STEM": "basic", "MODEL.RESNETS.STEM_WIDTH": 0, "MODEL.WEIGHTS": "torchvision://resnet50",
        "MODEL.WEIGHTS_FORMAT": ""}
    # what it writes is a table the loader reads back
    text = render(rows["PSPNet"], skipped["PSPNet"], "a test")
    assert text.startswith(GENERATED)
    path = write_table(tmp_path, yaml.safe_load(text))
    loaded, gone = trained.load_trained(path, "PSPNet")
    assert [r.name for r in loaded] == list(rows["PSPNet"]) and len(gone) == 2
    assert loaded[1].url.endswith("-0123abcd.pth") and dict(loaded[1].opts)["MODEL.RESNETS.DEPTH"] == 101


def test_torchvision_rows_have_torchvisions_parameter_count():
    rows, skipped = torchvision_rows(Recipes())
    fcn = rows["FCN"]["fcn_resnet101.COCO_WITH_VOC_LABELS_V1"]
    assert fcn["opts"] == {"MODEL.RESNETS.DEPTH": 101, "MODEL.WEIGHTS": "torchvision://resnet101"}
    assert fcn["published"] == {"mIoU": 63.7, "pixAcc": 91.9} and fcn["converter"] == "torchvision_fcn"
    assert "opts" not in rows["DeepLab"]["deeplabv3_resnet50.COCO_WITH_VOC_LABELS_V1"]
    assert "not on mobilenet_v3_large" in skipped["DeepLab"]["deeplabv3_mobilenet_v3_large.COCO_WITH_VOC_LABELS_V1"]


def test_the_generator_skips_a_dilated_resnet18_whose_blocks_differ_from_mmsegmentations():
    from seg_engine.model_zoo.generate_trained import _unlike_mmseg

    cfg = get_cfg()
    cfg.MODEL.RESNETS.DEPTH, cfg.MODEL.RESNETS.OUTPUT_STRIDE = 18, 8
    assert _unlike_mmseg(cfg).startswith("mmsegmentation's ResNet-18/34 BasicBlock dilates only its first 3x3 conv")
    cfg.MODEL.RESNETS.OUTPUT_STRIDE = 32  # undilated: the same blocks
    assert _unlike_mmseg(cfg) == ""
    cfg.MODEL.RESNETS.DEPTH, cfg.MODEL.RESNETS.OUTPUT_STRIDE = 50, 8  # Bottleneck dilates its one 3x3 conv in both
    assert _unlike_mmseg(cfg) == ""
