"""The shared test helpers: key tables, their mapping through a converter, meta builds, BN statistics."""

import pytest
import torch
from torch import nn

from seg_engine.config import get_cfg
from seg_engine.utils.testing import (
    build_on_meta, image_batch, map_key_table, num_params, randomize_batchnorm, read_key_table, state_shapes, tiny_schedule,
)


def test_key_table_reads_shapes_and_scalars_and_refuses_a_key_twice(tmp_path):
    path = tmp_path / "keys.txt"
    path.write_text("# written by a script\nstem.0.weight 32,3,3,3\n\nstem.1.num_batches_tracked -\n")
    assert read_key_table(str(path)) == {"stem.0.weight": (32, 3, 3, 3), "stem.1.num_batches_tracked": ()}
    path.write_text("a.weight 1\na.weight 1\n")
    with pytest.raises(ValueError, match="a.weight listed twice"):
        read_key_table(str(path))


def test_map_key_table_returns_the_sources_and_checks_keys_and_shapes():
    table = {"stem.0.weight": (4, 3, 3, 3), "layer1.0.conv1.weight": (8, 4, 1, 1)}
    ours = {"backbone.conv1.weight": (4, 3, 3, 3), "backbone.layer1.0.conv1.weight": (8, 4, 1, 1)}
    assert map_key_table(table, "mmseg_resnet_v1c", ours) == {
        "backbone.conv1.weight": "stem.0.weight", "backbone.layer1.0.conv1.weight": "layer1.0.conv1.weight"}
    assert map_key_table(table, "mmseg_resnet_v1c", ours, wrap=lambda s: {"state_dict": s, "meta": {}}) is not None
    with pytest.raises(AssertionError):  # a shape that differs
        map_key_table(table, "mmseg_resnet_v1c", {**ours, "backbone.conv1.weight": (4, 3, 7, 7)})
    with pytest.raises(AssertionError, match="exactly the model's keys"):
        map_key_table(table, "mmseg_resnet_v1c", {**ours, "backbone.fc.weight": (1,)})


def test_meta_build_leaves_the_config_alone():
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.RESNETS.DEPTH", "18"])
    model = build_on_meta(cfg)
    assert cfg.MODEL.DEVICE == "cpu" and next(model.parameters()).device.type == "meta"
    assert state_shapes(model)["decode_head.classifier.weight"] == (3, 512, 1, 1)


def test_num_params_counts_all_or_the_trainable():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    net[0].weight.requires_grad_(False)
    assert (num_params(net), num_params(net, trainable_only=True)) == (4 * 3 * 9 + 4 + 8, 4 + 8)


def test_tiny_schedule_merges_into_a_config():
    cfg = get_cfg()
    cfg.merge_from_list(tiny_schedule(3, 2, crop=(33, 49)))
    assert (cfg.SOLVER.MAX_ITER, cfg.SOLVER.CHECKPOINT_PERIOD, tuple(cfg.INPUT.TRAIN.CROP_SIZE)) == (3, 2, (33, 49))


def test_randomize_batchnorm_is_seeded_and_changes_eval_outputs():
    def net():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.BatchNorm2d(4, affine=False)).eval()

    x = torch.randn(1, 3, 9, 7)
    plain, a, b = net(), randomize_batchnorm(net()), randomize_batchnorm(net())
    assert torch.equal(a(x), b(x)) and not torch.allclose(a(x), plain(x))
    assert 0.5 <= float(a[1].running_var.min()) and float(a[1].running_var.max()) <= 1.5


def test_image_batch_is_seeded_with_masks_of_the_classes():
    a, b = image_batch((33, 49), (5, 7), with_masks=True, classes=3), image_batch((33, 49), (5, 7), with_masks=True, classes=3)
    assert [(x["image"].shape, x["height"], x["width"], x["sem_seg"].shape) for x in a] == [
        ((3, 33, 49), 33, 49, (33, 49)), ((3, 5, 7), 5, 7, (5, 7))]
    assert torch.equal(a[0]["image"], b[0]["image"]) and int(a[0]["sem_seg"].max()) == 2
    assert "sem_seg" not in image_batch((5, 7))[0]
