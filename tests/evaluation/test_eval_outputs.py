"""--eval-only's files: the confusion matrix (the printed IoUs recompute from it), per-image IoU,
and the progress lines of inference in the run's log."""
import csv
import json
import logging
import os

import pytest
import torch

from seg_engine.evaluation import inference_on_dataset
from seg_engine.evaluation.sem_seg_evaluation import compute_metrics
from seg_engine.utils.testing import load_train_net


@pytest.mark.slow
def test_confusion_matrix_csv_and_per_image_iou(tiny_demo_run, tmp_path):
    tn = load_train_net()
    out = str(tmp_path / "eval")
    args = tn.default_argument_parser().parse_args([
        "--config-file", tiny_demo_run["config"], "--eval-only", "--per-image-iou",
        "MODEL.WEIGHTS", tiny_demo_run["weights"], "OUTPUT_DIR", out, "DATALOADER.NUM_WORKERS", "0"])
    results = tn.main(args)
    with open(os.path.join(out, "confusion_matrix.csv")) as f:
        rows = list(csv.reader(f))
    classes = rows[0][1:]
    assert rows[0][0] == "ground_truth/prediction" and classes[0] == "background" and len(classes) == 7
    matrix = torch.tensor([[int(v) for v in r[1:]] for r in rows[1:]])
    recomputed = compute_metrics(matrix, classes)
    assert recomputed == pytest.approx(results["sem_seg"], nan_ok=True)
    assert recomputed["mIoU"] == tiny_demo_run["results"]["sem_seg"]["mIoU"]
    saved = json.load(open(os.path.join(out, "eval_results.json")))
    assert saved["confusion_matrix"]["rows_ground_truth"] == matrix.tolist()

    with open(os.path.join(out, "per_image_iou.csv")) as f:
        per_image = list(csv.DictReader(f))
    assert len(per_image) == 60  # shapes_val
    ious = [float(r["mIoU"]) for r in per_image]
    assert ious == sorted(ious) and all(0 <= v <= 100 for v in ious)


def test_inference_logs_progress_lines(caplog):
    class Model(torch.nn.Module):
        def forward(self, inputs):
            return [{"sem_seg": torch.zeros(2, 3, 3)} for _ in inputs]

    loader = [[{}] for _ in range(4)]
    with caplog.at_level(logging.INFO, logger="seg_engine.evaluation"):
        inference_on_dataset(Model(), loader, None, log_period=0.0)
    lines = [r.getMessage() for r in caplog.records if "s/img" in r.getMessage() and r.getMessage().startswith("Inference ")]
    assert [line.split(":")[0] for line in lines] == [f"Inference {i}/4" for i in range(1, 5)]
    assert "s/img, ETA 0:00:00" in lines[-1]
