"""Every recipe starts from weights it names (a URL or a name), never from a file fetched by hand into
pretrained/ or initmodel/, and those weights fit the recipe's model."""
import functools
import glob
import os
import re
from typing import Dict, Tuple

import pytest
import torch
import torchvision
import yaml

from seg_engine.checkpoint import Checkpointer, WeightsDownloadError, convert_weights, fetch_weights, resolve_weights, unwrap_state_dict
from seg_engine.utils.testing import ROOT, build_on_meta, load_config, read_key_table

Shape = Tuple[int, ...]
YAMLS = sorted(glob.glob(os.path.join(ROOT, "configs", "**", "*.yaml"), recursive=True)
               + glob.glob(os.path.join(ROOT, "projects", "*", "configs", "**", "*.yaml"), recursive=True))
HAND_FETCHED = re.compile(r"^(\./)?(pretrained|initmodel)/|/(pretrained|initmodel)/")


@functools.lru_cache(maxsize=None)
def written_model_node(path: str) -> dict:
    """The MODEL node as the file itself writes it (without its _BASE_)."""
    with open(path) as f:
        data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return data.get("MODEL") or {}


def written_weights(path: str) -> str:
    return str(written_model_node(path).get("WEIGHTS", ""))


def relative(path: str) -> str:
    return os.path.relpath(path, ROOT)


def test_no_recipe_names_a_file_fetched_by_hand():
    offenders = {relative(p): written_weights(p) for p in YAMLS if HAND_FETCHED.search(written_weights(p))}
    assert offenders == {}, "use a name or URL (docs/model_zoo.md, 'Weights by name') instead of these files"
    # What remains: names and URLs, or the output of an earlier stage of the same recipe family.
    others = {relative(p): w for p in YAMLS if (w := written_weights(p)) and "://" not in w}
    assert all(w.startswith("./output/") for w in others.values()), others


def test_the_check_catches_a_hand_fetched_file():
    assert HAND_FETCHED.search("pretrained/resnet50-0676ba61.pth")
    assert HAND_FETCHED.search("./initmodel/resnet50_v2.pth")
    assert not HAND_FETCHED.search("torchvision://resnet50")


def test_each_written_name_resolves_and_agrees_with_the_format_beside_it():
    written = {relative(p): (written_weights(p), written_model_node(p).get("WEIGHTS_FORMAT", ""))
               for p in YAMLS if "://" in written_weights(p)}
    assert len(written) == 19  # the files that named pretrained/ or initmodel/ files before
    assert {w.split("://")[0] for w, _ in written.values()} == {"open-mmlab", "torchvision", "timm", "semseg", "http"}
    for path, (weights, weights_format) in written.items():
        implied = resolve_weights(weights).weights_format
        assert not (weights_format and implied) or weights_format == implied, path


# ---- the outside layouts of the named files, from the references' own code or committed key tables

def _meta_state(module: torch.nn.Module) -> Dict[str, Shape]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def torchvision_layout(arch: str) -> Dict[str, Shape]:
    with torch.device("meta"):
        return _meta_state(torchvision.models.get_model(arch, weights=None))


def _deep_stem(widths: Tuple[int, int, int], names) -> Dict[str, Shape]:
    bn = lambda w: {"weight": (w,), "bias": (w,), "running_mean": (w,), "running_var": (w,), "num_batches_tracked": ()}
    shapes, cin = {}, 3
    for (conv, norm), w in zip(names, widths):
        shapes[f"{conv}.weight"] = (w, cin, 3, 3)
        shapes.update({f"{norm}.{k}": s for k, s in bn(w).items()})
        cin = w
    return shapes


def open_mmlab_v1c_layout(depth: int) -> Dict[str, Shape]:
    """mmcv's ResNetV1c ImageNet file: torchvision's ResNet with the stem as stem.0..stem.7 (32, 32, 64)."""
    tv = torchvision_layout(f"resnet{depth}")
    stem = _deep_stem((32, 32, 64), [("stem.0", "stem.1"), ("stem.3", "stem.4"), ("stem.6", "stem.7")])
    return {**stem, **{k: s for k, s in tv.items() if not k.startswith(("conv1.", "bn1."))}}


def semseg_v2_layout(depth: int) -> Dict[str, Shape]:
    """hszhao/semseg's resnet*_v2.pth: conv1/bn1..conv3/bn3 (64, 64, 128), so layer1 takes 128 channels."""
    tv = torchvision_layout(f"resnet{depth}")
    stem = _deep_stem((64, 64, 128), [("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")])
    widened = {"layer1.0.conv1.weight": (64, 128, 1, 1), "layer1.0.downsample.0.weight": (256, 128, 1, 1)}
    return {**{k: s for k, s in tv.items() if not k.startswith(("conv1.", "bn1."))}, **stem, **widened}


def test_the_derived_layouts_match_the_committed_reference_tables():
    mmseg = read_key_table(os.path.join(ROOT, "projects", "FCN", "tests", "data", "mmseg_fcn_r50_d8_keys.txt"))
    mmseg_backbone = {k[len("backbone."):]: s for k, s in mmseg.items() if k.startswith("backbone.")}
    assert {k: s for k, s in open_mmlab_v1c_layout(50).items() if not k.startswith("fc.")} == mmseg_backbone
    semseg = read_key_table(os.path.join(ROOT, "projects", "PSPNet", "tests", "data", "semseg_pspnet50_ade20k_keys.txt"))
    stem_names = {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3", "7": "bn3"}
    semseg_backbone = {}
    for key, shape in semseg.items():
        if key.startswith("layer0."):
            index, rest = key[len("layer0."):].split(".", 1)
            semseg_backbone[f"{stem_names[index]}.{rest}"] = shape
        elif key.startswith(("layer1.", "layer2.", "layer3.", "layer4.")):
            semseg_backbone[key] = shape
    assert {k: s for k, s in semseg_v2_layout(50).items() if not k.startswith("fc.")} == semseg_backbone


def outside_layout(reference: str) -> Dict[str, Shape]:
    scheme, _, name = reference.partition("://")
    if scheme == "torchvision":
        return torchvision_layout(name.split(".")[0])
    if scheme == "open-mmlab":
        return open_mmlab_v1c_layout(int(re.match(r"resnet(\d+)_v1c$", name).group(1)))
    if scheme == "semseg":
        return semseg_v2_layout(int(re.match(r"resnet(\d+)_v2$", name).group(1)))
    if scheme == "timm":
        return read_key_table(os.path.join(ROOT, "tests", "checkpoint", "data", f"timm_{name.split('.')[0]}_keys.txt"))
    if "drive.google.com" in reference:  # wkentaro's vgg16_from_caffe.pth has torchvision's vgg16 keys
        return torchvision_layout("vgg16")
    raise AssertionError(f"no layout known for {reference}")


CLASSIFIER = re.compile(r"^(backbone\.)?(fc|classifier|head\.fc)\.")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*copying from a non-meta parameter")
def test_every_named_weight_fits_its_recipes_backbone():
    """For every recipe whose MODEL.WEIGHTS is a name or URL, the file's layout through the converter the recipe
    uses (its own or the one the name implies) covers every backbone tensor with the model's shape; only the
    ImageNet classifier is left over."""
    recipes = [p for p in YAMLS if "projects" in p and not os.path.basename(p).startswith("Base-")
               and os.path.basename(p) != "published.yaml"]
    checked, problems = [], {}
    for path in recipes:
        cfg = load_config(path)
        if "://" not in cfg.MODEL.WEIGHTS:
            continue
        checked.append(path)
        model = build_on_meta(cfg)
        weights_format = cfg.MODEL.WEIGHTS_FORMAT or resolve_weights(cfg.MODEL.WEIGHTS).weights_format
        layout = {k: torch.empty(s, device="meta") for k, s in outside_layout(cfg.MODEL.WEIGHTS).items()}
        checkpointer = Checkpointer(model)
        state = convert_weights(layout, weights_format) if weights_format else checkpointer._match_backbone(unwrap_state_dict(layout))
        incompatible = checkpointer._load_model({"model": state})
        wrong = [k for k, *_ in incompatible.incorrect_shapes]
        wrong += [k for k in incompatible.missing_keys if k.startswith("backbone.") and not k.endswith("num_batches_tracked")]
        wrong += [k for k in incompatible.unexpected_keys if not CLASSIFIER.match(k)]
        if wrong:
            problems[relative(path)] = (cfg.MODEL.WEIGHTS, wrong[:5])
    assert problems == {}
    assert len(checked) >= 19


def test_a_semseg_name_says_where_the_file_comes_from_and_where_it_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path))
    expected = tmp_path / "weights" / "semseg" / "resnet50_v2.pth"
    with pytest.raises(WeightsDownloadError) as error:
        fetch_weights("semseg://resnet50_v2")
    assert str(error.value) == (
        "semseg://resnet50_v2 has no direct download (hszhao/semseg publishes initmodel/resnet50_v2.pth only in "
        f"the Google Drive folder https://drive.google.com/open?id=15wx9vOM0euyizq-M1uINgN0_wjVRf9J3); put the file at {expected}"
    )
    expected.parent.mkdir(parents=True)
    expected.write_bytes(b"placed by hand")
    assert fetch_weights("semseg://resnet50_v2") == (str(expected), "semseg_resnet_imagenet")
