import os

import pytest
import torch
from torch import nn

from seg_engine.checkpoint import Checkpointer, NonFiniteCheckpointError, atomic_write


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3))
        self.head = nn.Conv2d(4, 2, 1)


def test_save_writes_file_then_pointer_and_roundtrips(tmp_path):
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ck = Checkpointer(model, str(tmp_path), optimizer=opt)
    ck.save("model_0000009", iteration=9)
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000009.pth"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    other = Net()
    extra = Checkpointer(other, str(tmp_path), optimizer=torch.optim.SGD(other.parameters(), lr=0.1)).resume_or_load("", resume=True)
    assert extra["iteration"] == 9
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)


def test_side_copy_keeps_pointer(tmp_path):
    ck = Checkpointer(Net(), str(tmp_path))
    ck.save("model_final")
    ck.save("model_best", tag_last=False)
    assert (tmp_path / "last_checkpoint").read_text() == "model_final.pth"


def test_failed_write_keeps_previous_file(tmp_path):
    path = tmp_path / "x.pth"
    atomic_write(str(path), lambda f: f.write(b"good"))

    def broken(f):
        f.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(str(path), broken)
    assert path.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["x.pth"]


def test_backbone_only_and_state_dict_layouts(tmp_path):
    src = Net()
    torch.save({k[len("backbone."):]: v for k, v in src.state_dict().items() if k.startswith("backbone.")}, tmp_path / "bb.pth")
    torch.save({"state_dict": {f"module.{k}": v for k, v in src.state_dict().items()}}, tmp_path / "full.pth")
    dst = Net()
    Checkpointer(dst).load(str(tmp_path / "bb.pth"))
    assert torch.equal(dst.backbone[0].weight, src.backbone[0].weight)
    assert not torch.equal(dst.head.weight, src.head.weight)
    dst2 = Net()
    Checkpointer(dst2).load(str(tmp_path / "full.pth"))
    assert torch.equal(dst2.head.weight, src.head.weight)


def test_missing_weights_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        Checkpointer(Net()).load(str(tmp_path / "nope.pth"))


def bn_net():
    return nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))


def test_a_state_with_inf_or_nan_is_not_written_and_the_pointer_stays(tmp_path):
    net = bn_net()
    ck = Checkpointer(net, str(tmp_path))
    ck.save("model_0000001", iteration=1)
    net[1].running_var[2] = float("inf")
    with pytest.raises(NonFiniteCheckpointError, match=(
            rf"checkpoint {tmp_path}/model_0000003.pth not written: model.1.running_var holds inf; "
            rf"last_checkpoint still names {tmp_path}/model_0000001.pth")):
        ck.save("model_0000003", iteration=3)
    net[0].weight.data[0, 0] = float("nan")
    with pytest.raises(NonFiniteCheckpointError, match=r"model.0.weight holds nan \(and 1 more non-finite tensors\)"):
        ck.save("model_0000005", iteration=5)
    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "model_0000001.pth"]
    assert ck.last_saved == (1, str(tmp_path / "model_0000001.pth"))


def test_non_finite_optimizer_state_is_named(tmp_path):
    net = nn.Linear(2, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.ones(1, 2)).sum().backward()
    opt.step()
    opt.state[net.weight]["momentum_buffer"][0, 1] = float("-inf")
    ck = Checkpointer(net, str(tmp_path), optimizer=opt)
    with pytest.raises(NonFiniteCheckpointError, match=r"optimizer.state.0.momentum_buffer holds inf; "
                                                       r"last_checkpoint names none \(nothing finite was saved before\)"):
        ck.save("model_0000000")
    assert os.listdir(tmp_path) == []


def test_non_finite_tensors_walks_the_nested_state_in_order_and_skips_integers():
    from seg_engine.checkpoint.non_finite import non_finite_tensors

    state = {"a": torch.ones(3), "rng": torch.ByteTensor([255]), "n": [torch.tensor(1.0), {"b": torch.tensor([float("nan")])}],
             "c": torch.tensor([1.0, float("inf")]), "iteration": 7}
    assert non_finite_tensors(state) == [("n.1.b", "nan"), ("c", "inf")]
    assert non_finite_tensors({"a": torch.zeros(2), "i": torch.arange(3)}) == []


def tiny_convnext_model():
    from seg_engine.config import get_cfg
    from seg_engine.modeling import build_model

    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.HEAD.CHANNELS", "8",
                         "MODEL.BACKBONE.NAME", "build_convnext_backbone", "MODEL.CONVNEXT.DIMS", "[8, 8, 16, 16]",
                         "MODEL.CONVNEXT.DEPTHS", "[1, 1, 1, 1]"])
    return build_model(cfg)


def test_an_explicit_format_converts_a_model_key_file_that_is_not_ours(tmp_path):
    """The authors' ImageNet ConvNeXt files hold {"model": <their backbone's keys>}: an explicit MODEL.WEIGHTS_FORMAT
    converts them; our own checkpoints (which share keys with the model) load unconverted with or without one."""
    source = tiny_convnext_model().backbone
    authors = {k: v.clone() for k, v in source.state_dict().items() if not k.startswith("norm")}
    authors.update({"norm.weight": torch.ones(16), "norm.bias": torch.zeros(16), "head.weight": torch.zeros(1000, 16),
                    "head.bias": torch.zeros(1000)})
    torch.save({"model": authors}, tmp_path / "convnext_tiny_1k_224.pth")
    model = tiny_convnext_model()
    Checkpointer(model, weights_format="convnext_imagenet").load(str(tmp_path / "convnext_tiny_1k_224.pth"), checkpointables=[])
    assert all(torch.equal(model.backbone.state_dict()[k], v) for k, v in authors.items() if not k.startswith(("norm.", "head.")))
    without_format = tiny_convnext_model()
    Checkpointer(without_format).load(str(tmp_path / "convnext_tiny_1k_224.pth"), checkpointables=[])
    assert not torch.equal(without_format.backbone.stages[2][0].dwconv.weight, authors["stages.2.0.dwconv.weight"])

    Checkpointer(model, str(tmp_path)).save("model_final")
    ours = tiny_convnext_model()
    ck = Checkpointer(ours, weights_format="convnext_imagenet")
    ck.load_for_inference(str(tmp_path / "model_final.pth"))  # a run's config.yaml keeps its recipe's format
    assert ck._file_was_ours and all(torch.equal(ours.state_dict()[k], v) for k, v in model.state_dict().items())
