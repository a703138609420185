"""inference_on_dataset and DatasetEvaluators with a fake model and a list as data loader."""
import logging
import uuid

import pytest
import torch
from torch import nn

from seg_engine.data import MetadataCatalog
from seg_engine.evaluation import (
    DatasetEvaluator,
    DatasetEvaluators,
    SemSegEvaluator,
    inference_on_dataset,
)


class FixedLogits(nn.Module):
    """Predicts class 1 everywhere except the first column, which gets class 0."""

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.weight = nn.Parameter(torch.ones(1))
        self.seen = []

    def forward(self, batched_inputs):
        self.seen.append((self.training, torch.is_grad_enabled()))
        outputs = []
        for x in batched_inputs:
            h, w = x["height"], x["width"]
            logits = torch.zeros(self.num_classes, h, w)
            logits[1] = 1.0
            logits[0, :, 0] = 2.0
            outputs.append({"sem_seg": logits * self.weight})
        return outputs


class Recorder(DatasetEvaluator):
    def __init__(self, result):
        self.result = result
        self.resets = 0
        self.batches = []

    def reset(self):
        self.resets += 1
        self.batches = []

    def process(self, inputs, outputs):
        self.batches.append((inputs, outputs))

    def evaluate(self):
        return self.result


def make_input(gt, file_name="x.png"):
    gt = torch.tensor(gt, dtype=torch.int64)
    h, w = gt.shape
    image = torch.zeros(3, h, w, dtype=torch.uint8)
    return {"image": image, "sem_seg": gt, "height": h, "width": w, "file_name": file_name}


@pytest.fixture
def loader():
    return [
        [make_input([[0, 1], [0, 2]], "a.png")],
        [make_input([[0, 1, 255]], "b.png"), make_input([[1]], "c.png")],
    ]


@pytest.mark.parametrize("training", [True, False])
def test_restores_training_mode_and_returns_result(loader, training):
    model = FixedLogits()
    model.train(training)
    rec = Recorder({"task": {"metric": 1.0}})
    result = inference_on_dataset(model, loader, rec)
    assert result == {"task": {"metric": 1.0}}
    assert model.training is training
    assert model.seen == [(False, False)] * len(loader)
    assert rec.resets == 1
    assert [len(inputs) for inputs, _ in rec.batches] == [1, 2]


def test_restores_training_mode_on_error():
    class Boom(nn.Module):
        def forward(self, inputs):
            raise RuntimeError("boom")

    model = Boom().train()
    with pytest.raises(RuntimeError, match="boom"):
        inference_on_dataset(model, [[make_input([[0]])]], Recorder({}))
    assert model.training


def test_no_evaluator_runs_inference_only(loader):
    model = FixedLogits()
    assert inference_on_dataset(model, loader, None) == {}
    assert len(model.seen) == 2


def test_works_on_iterable_without_len(loader, caplog):
    model = FixedLogits()
    with caplog.at_level(logging.INFO, logger="seg_engine.evaluation"):
        inference_on_dataset(model, iter(loader), None)
    assert "Total inference time" in caplog.text
    assert "s / img" in caplog.text


def test_logs_time_per_image_after_warmup(caplog):
    model = FixedLogits()
    data = [[make_input([[0, 1]])] for _ in range(8)]
    with caplog.at_level(logging.INFO, logger="seg_engine.evaluation"):
        inference_on_dataset(model, data, None)
    assert "Total inference time" in caplog.text
    assert "after 5 warm-up iterations" in caplog.text


def test_with_sem_seg_evaluator(loader):
    name = f"_test_evaluator_{uuid.uuid4().hex}"
    MetadataCatalog.get(name).set(classes=["x", "y", "z"], ignore_label=255)
    try:
        result = inference_on_dataset(FixedLogits(), loader, SemSegEvaluator(name))
    finally:
        MetadataCatalog.remove(name)
    # Predictions: first column 0, the rest 1.
    # a.png gt [[0,1],[0,2]] -> (0,0) (1,1) (0,0) (2,1); b.png gt [[0,1,255]] -> (0,0) (1,1);
    # c.png gt [[1]] -> (1,0).
    # cm rows gt: x [3,0,0], y [1,2,0], z [0,1,0]; union x 4, y 4, z 1 -> IoU 3/4, 2/4, 0.
    m = result["sem_seg"]
    assert m["pAcc"] == pytest.approx(100 * 5 / 7)
    assert m["mIoU"] == pytest.approx(100 * (3 / 4 + 2 / 4 + 0) / 3)
    assert m["mAcc"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)
    assert m["fwIoU"] == pytest.approx(100 * (3 * 3 / 4 + 3 * 2 / 4 + 1 * 0) / 7)
    assert m["num_classes_counted"] == 3


def test_dataset_evaluators_merge_and_list_argument(loader):
    a, b = Recorder({"a": {"m": 1}}), Recorder({"b": {"m": 2}})
    merged = DatasetEvaluators([a, b])
    assert inference_on_dataset(FixedLogits(), loader, merged) == {"a": {"m": 1}, "b": {"m": 2}}
    assert a.resets == b.resets == 1 and len(a.batches) == len(b.batches) == 2
    assert inference_on_dataset(FixedLogits(), loader, [a, b]) == {"a": {"m": 1}, "b": {"m": 2}}


def test_dataset_evaluators_duplicate_key():
    merged = DatasetEvaluators([Recorder({"a": {"m": 1}}), Recorder({"a": {"m": 2}})])
    with pytest.raises(KeyError, match="'a'"):
        merged.evaluate()
