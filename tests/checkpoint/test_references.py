"""Weights names: what each scheme resolves to, and names loaded end to end through the loopback server."""
import os
import re
import sys
import types

import numpy as np
import pytest
import torch
from torch import nn

from seg_engine import SegModel
from seg_engine.checkpoint import (
    Checkpointer, WeightsDownloadError, WeightsNameError, fetch_weights, register_zoo_weights, resolve_weights,
)
from seg_engine.checkpoint.open_mmlab_names import OPEN_MMLAB_WEIGHTS
from seg_engine.checkpoint.references import ZOO_WEIGHTS
from seg_engine.modeling import build_model
from seg_engine.utils.testing import ROOT, load_config

DEMO = os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml")
TINY = ["MODEL.DEVICE", "cpu", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"]


def test_open_mmlab_names_are_mmengines_urls_with_their_converter():
    assert set(OPEN_MMLAB_WEIGHTS) == {"resnet18_v1c", "resnet50_v1c", "resnet101_v1c"}
    for name, (url, converter) in OPEN_MMLAB_WEIGHTS.items():
        assert re.fullmatch(rf"https://download\.openmmlab\.com/pretrain/third_party/{name}-[0-9a-f]{{8}}\.pth", url)
        assert resolve_weights(f"open-mmlab://{name}") == resolve_weights(f"openmmlab://{name}")
        assert resolve_weights(f"open-mmlab://{name}").weights_format == converter == "mmseg_resnet_v1c"
    assert resolve_weights("open-mmlab://resnet50_v1c").location.endswith("/resnet50_v1c-2cccc1ad.pth")


def test_torchvision_names_are_the_imagenet1k_v1_files_unless_an_entry_is_named():
    assert resolve_weights("torchvision://resnet50").location == "https://download.pytorch.org/models/resnet50-0676ba61.pth"
    assert resolve_weights("torchvision://resnet50.IMAGENET1K_V2").location == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert resolve_weights("torchvision://vgg16_bn").location == "https://download.pytorch.org/models/vgg16_bn-6c64b313.pth"
    assert resolve_weights("torchvision://vgg16_bn").weights_format == ""
    with pytest.raises(WeightsNameError, match=r"^torchvision://resnt50 names no weights \(closest: resnet50"):
        resolve_weights("torchvision://resnt50")
    with pytest.raises(WeightsNameError, match=r"^torchvision://resnet18.IMAGENET1K_V2: resnet18 has no weights 'IMAGENET1K_V2' \(it has IMAGENET1K_V1\)$"):
        resolve_weights("torchvision://resnet18.IMAGENET1K_V2")


def test_paths_urls_and_unknown_schemes():
    assert resolve_weights("output/x/model_final.pth").location == "output/x/model_final.pth"
    assert resolve_weights("file:///data/w.pth").location == "/data/w.pth"
    assert resolve_weights("https://host/w.pth").location == "https://host/w.pth"
    with pytest.raises(WeightsNameError, match=r"^unknown weights scheme in 's3://bucket/w.pth' \(known: http://, https://, file://, open-mmlab://"):
        resolve_weights("s3://bucket/w.pth")
    with pytest.raises(WeightsNameError, match=r"^zoo://nothing names no weights \((known|closest): "):
        resolve_weights("zoo://nothing")


def tiny_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(load_config(DEMO, *TINY))


def mmseg_v1c_layout(model: nn.Module) -> dict:
    """The backbone of ``model`` in mmcv's ResNetV1c ImageNet layout (stem.0..stem.7, layerN, fc)."""
    stem = {"conv1": "stem.0", "bn1": "stem.1", "conv2": "stem.3", "bn2": "stem.4", "conv3": "stem.6", "bn3": "stem.7"}
    out = {}
    for key, value in model.state_dict().items():
        if key.startswith("backbone."):
            first, rest = key[len("backbone."):].split(".", 1)
            out[f"{stem.get(first, first)}.{rest}"] = value
    out["fc.weight"], out["fc.bias"] = torch.randn(10, 128), torch.randn(10)
    return out


def assert_same_backbone(a: nn.Module, b: nn.Module) -> None:
    keys = [k for k in a.state_dict() if k.startswith("backbone.")]
    assert keys and all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in keys)


def test_an_open_mmlab_name_downloads_through_the_mirror_checks_its_hash_and_converts(weights_server, weights_cache, monkeypatch):
    source = tiny_model(1)
    body = weights_server.torch_bytes(mmseg_v1c_layout(source))
    file = f"resnet18_v1c_tiny-{weights_server.sha256(body)[:8]}.pth"
    weights_server.serve(f"/mirror/pretrain/third_party/{file}", body)
    monkeypatch.setitem(OPEN_MMLAB_WEIGHTS, "test/tiny_v1c", (f"https://download.openmmlab.com/pretrain/third_party/{file}", "mmseg_resnet_v1c"))
    monkeypatch.setenv("SEG_ENGINE_WEIGHTS_MIRROR", weights_server.root + "/mirror")
    target = tiny_model(2)
    Checkpointer(target).load("open-mmlab://test/tiny_v1c")  # no MODEL.WEIGHTS_FORMAT: the name implies it
    assert_same_backbone(source, target)
    assert os.path.isfile(weights_cache / "download.openmmlab.com" / "pretrain" / "third_party" / file)
    # An explicit format wins over the implied one (here a wrong one, so the load fails naming the keys).
    with pytest.raises(KeyError, match="match no rule of this layout: stem.0.weight"):
        Checkpointer(tiny_model(3), weights_format="pytorch_encoding_resnet").load("open-mmlab://test/tiny_v1c")
    assert weights_server.count(f"/mirror/pretrain/third_party/{file}") == 1


def test_a_zoo_row_registered_by_a_table_loads_by_name_in_segmodel(weights_server, weights_cache, monkeypatch):
    source = tiny_model(4)
    body = weights_server.torch_bytes({"model": source.state_dict()})
    url = weights_server.serve("/zoo/fcn_shapes_tiny.pth", body)
    monkeypatch.setitem(ZOO_WEIGHTS, "test/fcn_shapes_tiny", None)  # removed again after the test
    register_zoo_weights("test/fcn_shapes_tiny", url, sha256=weights_server.sha256(body))
    assert resolve_weights("zoo://test/fcn_shapes_tiny").location == url
    model = SegModel.from_config(DEMO, weights="zoo://test/fcn_shapes_tiny", opts=TINY)
    assert_same_backbone(source, model.predictor.model)
    image = np.random.default_rng(0).integers(0, 256, (33, 49, 3), dtype=np.uint8)
    source.eval()
    with torch.no_grad():
        expected = source([{"image": torch.from_numpy(image.transpose(2, 0, 1).copy()), "height": 33, "width": 49}])[0]["sem_seg"]
    assert np.array_equal(model.predict(image), expected.argmax(0).numpy().astype(np.uint8))


def test_resume_downloads_nothing_and_a_new_run_reads_the_cache(weights_server, weights_cache, tmp_path):
    source = tiny_model(5)
    url = weights_server.serve("/resume/backbone.pth", weights_server.torch_bytes(
        {k[len("backbone."):]: v for k, v in source.state_dict().items() if k.startswith("backbone.")}))
    run = str(tmp_path / "run")
    os.makedirs(run)
    first = tiny_model(6)
    Checkpointer(first, run).resume_or_load(url, resume=True)  # nothing to resume: MODEL.WEIGHTS is loaded
    assert_same_backbone(source, first)
    Checkpointer(first, run).save("model_0000001", iteration=1)
    resumed = tiny_model(7)
    assert Checkpointer(resumed, run).resume_or_load(url, resume=True)["iteration"] == 1
    Checkpointer(tiny_model(8), str(tmp_path / "other")).resume_or_load(url, resume=False)
    assert weights_server.count("/resume/backbone.pth") == 1


def fake_timm(monkeypatch, calls: list, error: Exception = None) -> None:
    module = types.ModuleType("timm")

    def create_model(name, pretrained=False, **kwargs):
        calls.append((name, pretrained))
        if error is not None:
            raise error
        torch.manual_seed(0)
        return nn.Linear(2, 3)

    module.create_model = create_model
    monkeypatch.setitem(sys.modules, "timm", module)


def test_timm_names_go_through_timms_own_loader_once(weights_cache, monkeypatch):
    calls = []
    fake_timm(monkeypatch, calls)
    path, weights_format = fetch_weights("timm://xception65.tf_in1k")
    assert (path, weights_format) == (str(weights_cache / "timm" / "xception65.tf_in1k.pth"), "timm_xception65")
    torch.manual_seed(0)
    expected = nn.Linear(2, 3).state_dict()
    loaded = torch.load(path, weights_only=True)
    assert loaded.keys() == expected.keys() and all(torch.equal(loaded[k], expected[k]) for k in expected)
    assert fetch_weights("timm://xception65.tf_in1k") == (path, "timm_xception65")
    assert fetch_weights("timm://resnet50.a1_in1k")[1] == ""  # no converter registered for it
    assert calls == [("xception65.tf_in1k", True), ("resnet50.a1_in1k", True)]
    monkeypatch.setenv("SEG_ENGINE_OFFLINE", "1")
    with pytest.raises(WeightsDownloadError, match=r"^SEG_ENGINE_OFFLINE is set and timm://xception41 is not in the cache; put the file at .*xception41.pth$"):
        fetch_weights("timm://xception41")
    assert len(calls) == 2


def test_timm_errors_are_one_line(weights_cache, monkeypatch):
    fake_timm(monkeypatch, [], RuntimeError("Unknown model (xception66)\nmore detail"))
    with pytest.raises(WeightsDownloadError, match=r"^timm could not load the pretrained weights of xception66: Unknown model \(xception66\)$"):
        fetch_weights("timm://xception66")
    monkeypatch.setitem(sys.modules, "timm", None)  # not installed
    with pytest.raises(WeightsNameError, match=r"^timm://xception65 needs the \[timm\] extra: pip install timm$"):
        fetch_weights("timm://xception65")
    assert not (weights_cache / "timm" / "xception65.pth").exists()
