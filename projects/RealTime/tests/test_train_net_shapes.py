"""The shapes recipes through tools/train_net.py: a few iterations, then --eval-only on the checkpoint."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = tiny_schedule(max_iter=2, checkpoint_period=2, crop=(48, 64))


def run(recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    config = os.path.join(PROJECT, "configs", "shapes", recipe)
    return train_then_eval_only(config, TINY, tmp_path, iterations=2, plugin=os.path.join(PROJECT, "realtime"))


@pytest.mark.slow
def test_pidnet_trains_with_its_four_losses_then_evaluates(tmp_path, monkeypatch):
    iters = run("pidnet_shapes.yaml", tmp_path, monkeypatch)
    assert all({"loss_sem_seg", "loss_aux", "loss_aux2_bce", "loss_sem_bd"} <= set(r) for r in iters)


@pytest.mark.slow
@pytest.mark.parametrize("recipe, loss", [
    ("ddrnet_shapes.yaml", "loss_aux"), ("bisenetv1_shapes.yaml", "loss_aux2"), ("bisenetv2_shapes.yaml", "loss_aux4"),
    ("stdc_shapes.yaml", "loss_aux3_dice"), ("lraspp_shapes.yaml", "total_loss"),  # one loss: logged as the total only
])
def test_other_networks_train_then_evaluate(recipe, loss, tmp_path, monkeypatch):
    assert all(loss in r for r in run(recipe, tmp_path, monkeypatch))
