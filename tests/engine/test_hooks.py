import json
import os

import pytest
import torch
from torch import nn

from seg_engine.checkpoint import Checkpointer, NonFiniteCheckpointError
from seg_engine.engine import hooks
from seg_engine.engine.train_loop import TrainerBase
from seg_engine.utils.events import JSONWriter


class CountingTrainer(TrainerBase):
    """Each step puts loss = 1 / (iter + 1)."""

    def run_step(self):
        self.storage.put_scalar("total_loss", 1.0 / (self.iter + 1))


def run(hook_list, max_iter, start_iter=0):
    trainer = CountingTrainer()
    trainer.register_hooks(hook_list)
    trainer.train(start_iter, max_iter)
    return trainer


def test_periodic_checkpointer_keeps_last_k_and_final(tmp_path):
    ck = Checkpointer(nn.Linear(1, 1), str(tmp_path))
    run([hooks.PeriodicCheckpointer(ck, period=2, max_to_keep=2)], max_iter=9)
    files = sorted(f for f in os.listdir(tmp_path) if f.endswith(".pth"))
    assert files == ["model_0000005.pth", "model_0000007.pth", "model_final.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "model_final.pth"


class BlowUpAt(hooks.HookBase):
    """Sets a BatchNorm's running variance to inf after iteration ``at`` (before the checkpoint hooks)."""

    def __init__(self, bn, at):
        self.bn, self.at = bn, at

    def after_step(self):
        if self.trainer.iter == self.at:
            self.bn.running_var.fill_(float("inf"))


def test_periodic_checkpoints_of_a_non_finite_state_are_skipped_with_a_warning(tmp_path, caplog):
    bn = nn.BatchNorm2d(2)
    ck = Checkpointer(bn, str(tmp_path))
    run([BlowUpAt(bn, 4), hooks.PeriodicCheckpointer(ck, period=2, save_final=False)], max_iter=9)
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".pth")) == ["model_0000001.pth", "model_0000003.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000003.pth"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [f"Iteration {i}: checkpoint {tmp_path}/model_{i:07d}.pth not written: model.running_var holds inf; "
                      f"last_checkpoint still names {tmp_path}/model_0000003.pth" for i in (5, 7)]


def test_a_non_finite_final_model_is_an_error(tmp_path):
    bn = nn.BatchNorm2d(2)
    ck = Checkpointer(bn, str(tmp_path))
    with pytest.raises(NonFiniteCheckpointError, match="model_final.pth not written: model.running_var holds inf"):
        run([BlowUpAt(bn, 4), hooks.PeriodicCheckpointer(ck, period=2)], max_iter=6)
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000003.pth"
    assert not (tmp_path / "model_final.pth").exists()


def test_pruning_never_deletes_the_pointed_checkpoint(tmp_path):
    ck = Checkpointer(nn.Linear(1, 1), str(tmp_path))
    for name in ("model_0000001", "model_0000003", "model_0000009"):
        ck.save(name)
    ck.tag_last_checkpoint("model_0000001.pth")
    hook = hooks.PeriodicCheckpointer(ck, period=1, max_to_keep=1)
    hook._prune()
    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "model_0000001.pth", "model_0000009.pth"]


def test_eval_hook_period_and_best_checkpointer(tmp_path):
    scores = iter([10.0, 30.0, 20.0, 40.0])
    ck = Checkpointer(nn.Linear(1, 1), str(tmp_path))
    evals = []

    def eval_fn():
        evals.append(True)
        return {"sem_seg": {"mIoU": next(scores)}}

    best = hooks.BestCheckpointer(ck)
    eval_hook = hooks.EvalHook(3, eval_fn)
    trainer = run([eval_hook, best], max_iter=10)
    assert len(evals) == 4  # iterations 2, 5, 8 and the last (9)
    assert best.best_value == 40.0 and best.best_iter == 9
    assert eval_hook.last_results == {"sem_seg": {"mIoU": 40.0}}
    assert trainer.storage.latest()["sem_seg/mIoU"] == (40.0, 9)
    saved = torch.load(tmp_path / "model_best.pth", weights_only=True)
    assert saved["iteration"] == 9 and saved["best_metric"] == {"sem_seg/mIoU": 40.0}
    assert not (tmp_path / "last_checkpoint").exists()


def test_best_checkpointer_state_survives_resume(tmp_path):
    best = hooks.BestCheckpointer(Checkpointer(nn.Linear(1, 1), str(tmp_path)))
    best.load_state_dict({"best_value": 50.0, "best_iter": 3})
    run([hooks.EvalHook(0, lambda: {"sem_seg": {"mIoU": 45.0}}), best], max_iter=6, start_iter=4)
    assert best.best_value == 50.0
    assert not (tmp_path / "model_best.pth").exists()


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`")
def test_lr_scheduler_hook_logs_and_steps():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 1.0 / (it + 1))
    trainer = run([hooks.LRScheduler(opt, sched)], max_iter=3)
    assert [v for v, _ in trainer.storage.history("lr").values()] == pytest.approx([1.0, 0.5, 1 / 3])


def test_periodic_writer_writes_raw_json_lines(tmp_path):
    path = tmp_path / "metrics.json"
    run([hooks.PeriodicWriter([JSONWriter(str(path))], period=2)], max_iter=5)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [1, 3, 4]
    assert rows[0]["total_loss"] == pytest.approx(0.5)


def test_periodic_writer_opens_writers_made_by_a_function_when_training_starts(tmp_path):
    path = tmp_path / "metrics.json"
    hook = hooks.PeriodicWriter(lambda: [JSONWriter(str(path))], period=2)
    assert not path.exists()  # a run failing before training (a bad download) leaves no open file
    run([hook], max_iter=3)
    assert [json.loads(line)["iteration"] for line in path.read_text().splitlines()] == [1, 2]


def test_iteration_timer_puts_time():
    trainer = run([hooks.IterationTimer()], max_iter=3)
    assert len(trainer.storage.history("time").values()) == 3


def test_best_metric_of_several_test_datasets_is_the_first_ones():
    from seg_engine.config import get_cfg
    from seg_engine.engine.defaults import best_metric_name

    cfg = get_cfg()
    cfg.DATASETS.TEST = ("a_val",)
    assert best_metric_name(cfg) == "sem_seg/mIoU"
    cfg.DATASETS.TEST = ("a_val", "b_val")
    assert best_metric_name(cfg) == "a_val/sem_seg/mIoU"
