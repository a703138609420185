"""Semantic segmentation metrics (pixel accuracy, mIoU, mAcc, fwIoU) from a confusion matrix."""
from __future__ import annotations

import csv
import logging
import math
import os
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
import torch.distributed as dist
from tabulate import tabulate

from seg_engine.data import MetadataCatalog
from seg_engine.utils import comm

from .evaluator import DatasetEvaluator

logger = logging.getLogger("seg_engine.evaluation")

__all__ = ["SemSegEvaluator"]


class SemSegEvaluator(DatasetEvaluator):
    """Accumulates a confusion matrix of argmax predictions against ground truth masks.

    Rows of the matrix are ground truth classes, columns predicted classes. The matrix stays
    on the model's device while processing, and ``process`` never waits for the device: pixels
    outside [0, n) (ignored or invalid) are counted in an extra bin that is dropped, and labels
    that are neither classes nor the ignore label are counted per image on the device and reported
    (naming the first such file) by ``evaluate()``. After ``evaluate()`` the summed matrix is
    available as ``confusion_matrix`` (CPU int64).
    """

    def __init__(
        self,
        dataset_name: str,
        num_classes: Optional[int] = None,
        ignore_label: Optional[int] = None,
        distributed: bool = True,
        output_dir: Optional[str] = None,
        per_image: bool = False,
    ) -> None:
        """Read class names and the ignore label of ``dataset_name`` from ``MetadataCatalog``.

        ``num_classes`` and ``ignore_label`` override the metadata. With ``distributed`` the
        matrices of all processes are summed in ``evaluate()``, so every rank reports the
        metrics of the whole dataset. With ``output_dir`` the main process writes
        ``confusion_matrix.csv`` there (rows: ground truth) and the results gain the matrix;
        ``per_image`` also writes ``per_image_iou.csv``, the images sorted worst first.
        """
        meta = MetadataCatalog.get(dataset_name)
        classes = meta.get("classes")
        if num_classes is None:
            if classes is None:
                raise ValueError(
                    f"SemSegEvaluator: metadata of {dataset_name!r} has no 'classes'; pass num_classes"
                )
            num_classes = len(classes)
        if num_classes <= 0:
            raise ValueError(f"SemSegEvaluator: num_classes must be positive, got {num_classes}")
        if classes is not None and len(classes) == num_classes:
            class_names = [str(c) for c in classes]
        else:
            if classes is not None:
                logger.warning(
                    "SemSegEvaluator: %d classes in metadata of %r but num_classes=%d; "
                    "reporting classes by index",
                    len(classes),
                    dataset_name,
                    num_classes,
                )
            class_names = [str(i) for i in range(num_classes)]
        if len(set(class_names)) != len(class_names):
            raise ValueError(f"SemSegEvaluator: class names of {dataset_name!r} are not unique")

        self.dataset_name = dataset_name
        self.num_classes = num_classes
        self.class_names = class_names
        self.ignore_label = meta.get("ignore_label", 255) if ignore_label is None else ignore_label
        self.distributed = distributed
        self.output_dir = output_dir
        self.per_image = per_image
        self.confusion_matrix: Optional[torch.Tensor] = None
        self._matrix: Optional[torch.Tensor] = None
        self._image_counts: List[torch.Tensor] = []  # per image: (3, n) true positives, gt and predicted pixels
        self._image_names: List[str] = []
        self._without_masks = 0
        # Per image with a mask: its file name and a device tensor (bad-label pixels, smallest, largest bad label).
        self._label_checks: List[tuple] = []

    def reset(self) -> None:
        self._matrix = None
        self.confusion_matrix = None
        self._image_counts, self._image_names = [], []
        self._without_masks = 0
        self._label_checks = []

    def process(self, inputs: List[dict], outputs: List[dict]) -> None:
        """Add the argmax prediction of each output against its input's ``sem_seg``."""
        n = self.num_classes
        for inp, out in zip(inputs, outputs):
            if "sem_seg" not in inp:  # a test split without masks: predictions only
                self._without_masks += 1
                continue
            scores = out["sem_seg"]
            file_name = inp.get("file_name", "<unknown>")
            if scores.dim() != 3 or scores.shape[0] != n:
                raise ValueError(
                    f"SemSegEvaluator: prediction for {file_name} has shape {tuple(scores.shape)}, "
                    f"expected ({n}, H, W)"
                )
            pred = scores.argmax(dim=0)
            gt = inp["sem_seg"].to(pred.device, dtype=torch.int64, non_blocking=True)
            if gt.shape != pred.shape:
                raise ValueError(
                    f"SemSegEvaluator: ground truth of {file_name} has shape {tuple(gt.shape)} but the "
                    f"prediction has shape {tuple(pred.shape)}; predictions must be at the original size"
                )
            in_range = (gt >= 0) & (gt < n)
            bad = ~in_range & (gt != self.ignore_label)
            self._label_checks.append((file_name, _bad_label_stats(gt, bad)))
            # Invalid pixels go to the extra bin n * n, dropped in evaluate(): no boolean indexing, no sync.
            index = torch.where(in_range, gt * n + pred, n * n).flatten()
            if self._matrix is None:
                self._matrix = torch.zeros(n * n + 1, dtype=torch.int64, device=pred.device)
            if self.per_image:
                counts = _count(index, n * n + 1)
                self._matrix += counts
                matrix = counts[: n * n].view(n, n)
                self._image_counts.append(torch.stack([matrix.diagonal(), matrix.sum(1), matrix.sum(0)]))
                self._image_names.append(file_name)
            else:
                self._matrix += _count(index, n * n + 1)

    def _check_labels(self) -> None:
        """Raise for the first image whose ground truth has labels outside [0, n) other than the ignore label."""
        if not self._label_checks:
            return
        stats = torch.stack([s for _, s in self._label_checks]).cpu()
        flagged = (stats[:, 0] > 0).nonzero()
        if len(flagged):
            i = int(flagged[0])
            values = sorted({int(stats[i, 1]), int(stats[i, 2])})
            raise ValueError(
                f"SemSegEvaluator: ground truth of {self._label_checks[i][0]} has labels {values} outside "
                f"[0, {self.num_classes}) that are not the ignore label {self.ignore_label} "
                f"({int(stats[i, 0])} pixels; the smallest and largest such label are shown)"
            )

    def _empty_matrix_device(self) -> torch.device:
        # A rank that saw no image still has to join the all-reduce, and NCCL only takes CUDA.
        if self.distributed and comm.get_world_size() > 1 and dist.get_backend() == dist.Backend.NCCL:
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    def evaluate(self) -> Dict[str, "OrderedDict[str, float]"]:
        """Return ``{"sem_seg": metrics}`` in percent; see ``compute_metrics`` for the definitions."""
        n = self.num_classes
        self._check_labels()
        matrix = None if self._matrix is None else self._matrix[: n * n]
        if matrix is None and self._without_masks and not (self.distributed and comm.get_world_size() > 1):
            logger.info("SemSegEvaluator on %s: no image has a mask; nothing to evaluate", self.dataset_name)
            return {}
        if matrix is None:
            matrix = torch.zeros(n * n, dtype=torch.int64, device=self._empty_matrix_device())
        else:
            matrix = matrix.clone()
        if self.distributed:
            comm.all_reduce_sum(matrix)
        self.confusion_matrix = matrix.view(n, n).cpu()

        if self._without_masks:
            logger.info("SemSegEvaluator on %s: %d images have no mask and are not evaluated",
                        self.dataset_name, self._without_masks)
        if self.confusion_matrix.sum() == 0:
            logger.warning(
                "SemSegEvaluator on %s: no valid ground truth pixel was evaluated; the metrics are undefined "
                "(NaN, null in eval_results.json)",
                self.dataset_name,
            )
        results = compute_metrics(self.confusion_matrix, self.class_names)
        self._log(results)
        if self.output_dir is None:
            return {"sem_seg": results}
        if comm.is_main_process():
            self._write_files()
        return {"sem_seg": results, "confusion_matrix": {"classes": self.class_names,
                                                         "rows_ground_truth": self.confusion_matrix.tolist()}}

    def _write_files(self) -> None:
        os.makedirs(self.output_dir, exist_ok=True)
        path = os.path.join(self.output_dir, "confusion_matrix.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["ground_truth/prediction", *self.class_names])
            for name, row in zip(self.class_names, self.confusion_matrix.tolist()):
                writer.writerow([name, *row])
        logger.info("Confusion matrix (rows: ground truth) written to %s", path)
        if not self.per_image:
            return
        if self.distributed and comm.get_world_size() > 1:
            logger.warning("per_image_iou.csv holds the images of the main process only")
        rows = []
        for name, counts in zip(self._image_names, self._image_counts):
            tp, gt, pred = counts.double().cpu()
            union = gt + pred - tp
            counted = union > 0
            miou = 100.0 * (tp[counted] / union[counted]).mean().item() if counted.any() else float("nan")
            pacc = 100.0 * tp.sum().item() / gt.sum().item() if gt.sum() > 0 else float("nan")
            rows.append((miou, pacc, int(counted.sum()), name))
        rows.sort(key=lambda r: (math.isnan(r[0]), r[0]))
        path = os.path.join(self.output_dir, "per_image_iou.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["file_name", "mIoU", "pAcc", "classes_counted"])
            for miou, pacc, counted, name in rows:
                writer.writerow([name, f"{miou:.4f}", f"{pacc:.4f}", counted])
        logger.info("Per-image IoU (worst first) written to %s", path)

    def _log(self, results: "OrderedDict[str, float]") -> None:
        def fmt(value: float) -> str:
            return "-" if math.isnan(value) else f"{value:.2f}"

        rows = [[name, fmt(results[f"IoU-{name}"]), fmt(results[f"ACC-{name}"])] for name in self.class_names]
        table = tabulate(rows, headers=["class", "IoU", "Acc"], tablefmt="pipe", stralign="right")
        logger.info("Per-class semantic segmentation results on %s:\n%s", self.dataset_name, table)
        logger.info(
            "pAcc %s, mIoU %s, mAcc %s, fwIoU %s (%d of %d classes counted)",
            fmt(results["pAcc"]),
            fmt(results["mIoU"]),
            fmt(results["mAcc"]),
            fmt(results["fwIoU"]),
            results["num_classes_counted"],
            self.num_classes,
        )


def compute_metrics(confusion_matrix: torch.Tensor, class_names: List[str]) -> "OrderedDict[str, float]":
    """Metrics in percent from a (ground truth x prediction) confusion matrix.

    A class counts in mIoU and fwIoU when it occurs in the ground truth or the predictions
    (union > 0); other classes get NaN IoU and are left out. Per-class accuracy is defined
    only for classes present in the ground truth. fwIoU weights IoU by ground truth frequency.
    All metrics are NaN when the matrix is empty.
    """
    cm = confusion_matrix.to(device="cpu", dtype=torch.float64)
    tp = cm.diagonal()
    gt_count = cm.sum(dim=1)
    pred_count = cm.sum(dim=0)
    union = gt_count + pred_count - tp
    total = gt_count.sum()
    nan = torch.tensor(float("nan"), dtype=torch.float64)

    iou = torch.where(union > 0, tp / union.clamp(min=1), nan)
    acc = torch.where(gt_count > 0, tp / gt_count.clamp(min=1), nan)
    if total > 0:
        pacc = (tp.sum() / total).item()
        fwiou = ((gt_count / total)[gt_count > 0] * iou[gt_count > 0]).sum().item()
    else:
        pacc = fwiou = float("nan")

    results: "OrderedDict[str, float]" = OrderedDict()
    results["pAcc"] = 100.0 * pacc
    results["mIoU"] = 100.0 * torch.nanmean(iou).item()
    results["mAcc"] = 100.0 * torch.nanmean(acc).item()
    results["fwIoU"] = 100.0 * fwiou
    results["num_classes_counted"] = int((union > 0).sum().item())
    for name, value in zip(class_names, iou.tolist()):
        results[f"IoU-{name}"] = 100.0 * value
    for name, value in zip(class_names, acc.tolist()):
        results[f"ACC-{name}"] = 100.0 * value
    return results


def _count(index: torch.Tensor, size: int) -> torch.Tensor:
    """Histogram of ``index`` (values in [0, size)): bincount on the CPU; on a GPU scatter_add_, since
    CUDA's bincount reads the maximum on the host to size its output."""
    if index.device.type == "cpu":
        return torch.bincount(index, minlength=size)
    return torch.zeros(size, dtype=torch.int64, device=index.device).scatter_add_(
        0, index, torch.ones_like(index))


def _bad_label_stats(gt: torch.Tensor, bad: torch.Tensor) -> torch.Tensor:
    """(number of bad pixels, smallest bad label, largest bad label) on gt's device, without a sync."""
    info = torch.iinfo(torch.int64)
    return torch.stack([bad.sum(), torch.where(bad, gt, info.max).min(), torch.where(bad, gt, info.min).max()])
