"""Semantic segmentation metrics (pixel accuracy, mIoU, mAcc, fwIoU) from a confusion matrix."""
from __future__ import annotations

import logging
import math
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
    on the model's device while processing, so evaluation adds no per-image host transfer.
    After ``evaluate()`` the summed matrix is available as ``confusion_matrix`` (CPU int64).
    """

    def __init__(
        self,
        dataset_name: str,
        num_classes: Optional[int] = None,
        ignore_label: Optional[int] = None,
        distributed: bool = True,
    ) -> None:
        """Read class names and the ignore label of ``dataset_name`` from ``MetadataCatalog``.

        ``num_classes`` and ``ignore_label`` override the metadata. With ``distributed`` the
        matrices of all processes are summed in ``evaluate()``, so every rank reports the
        metrics of the whole dataset.
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
        self.confusion_matrix: Optional[torch.Tensor] = None
        self._matrix: Optional[torch.Tensor] = None

    def reset(self) -> None:
        self._matrix = None
        self.confusion_matrix = None

    def process(self, inputs: List[dict], outputs: List[dict]) -> None:
        """Add the argmax prediction of each output against its input's ``sem_seg``."""
        n = self.num_classes
        for inp, out in zip(inputs, outputs):
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
            if bad.any():
                values = torch.unique(gt[bad])[:10].tolist()
                raise ValueError(
                    f"SemSegEvaluator: ground truth of {file_name} has labels {values} outside "
                    f"[0, {n}) that are not the ignore label {self.ignore_label}"
                )
            counts = torch.bincount(gt[in_range] * n + pred[in_range], minlength=n * n)
            if self._matrix is None:
                self._matrix = torch.zeros(n * n, dtype=torch.int64, device=pred.device)
            self._matrix += counts

    def _empty_matrix_device(self) -> torch.device:
        # A rank that saw no image still has to join the all-reduce, and NCCL only takes CUDA.
        if self.distributed and comm.get_world_size() > 1 and dist.get_backend() == dist.Backend.NCCL:
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    def evaluate(self) -> Dict[str, "OrderedDict[str, float]"]:
        """Return ``{"sem_seg": metrics}`` in percent; see ``compute_metrics`` for the definitions."""
        n = self.num_classes
        matrix = self._matrix
        if matrix is None:
            matrix = torch.zeros(n * n, dtype=torch.int64, device=self._empty_matrix_device())
        else:
            matrix = matrix.clone()
        if self.distributed:
            comm.all_reduce_sum(matrix)
        self.confusion_matrix = matrix.view(n, n).cpu()

        if self.confusion_matrix.sum() == 0:
            logger.warning(
                "SemSegEvaluator on %s: no valid ground truth pixel was evaluated; the metrics are undefined "
                "(NaN, null in eval_results.json)",
                self.dataset_name,
            )
        results = compute_metrics(self.confusion_matrix, self.class_names)
        self._log(results)
        return {"sem_seg": results}

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
