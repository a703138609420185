"""The evaluator protocol and the loop that runs a model over a dataset and feeds an evaluator."""
from __future__ import annotations

import datetime
import logging
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterable, Iterator, List, Optional, Sequence, Union

import torch
from torch import nn
from tqdm import tqdm

from seg_engine.utils import comm

logger = logging.getLogger("seg_engine.evaluation")

__all__ = ["DatasetEvaluator", "DatasetEvaluators", "inference_context", "inference_on_dataset"]


class DatasetEvaluator:
    """Accumulates statistics over (input, output) pairs and turns them into metrics.

    ``inference_on_dataset`` calls ``reset()`` once, ``process()`` for every batch and
    ``evaluate()`` at the end, so an evaluator can be reused across evaluations.
    """

    def reset(self) -> None:
        """Clear the accumulated state before a new evaluation."""

    def process(self, inputs: List[dict], outputs: List[dict]) -> None:
        """Accumulate one batch: ``inputs`` as given to the model and the model's ``outputs``.

        The two lists are aligned: ``outputs[i]`` is the model's answer for ``inputs[i]``.
        """

    def evaluate(self) -> dict:
        """Return the metrics over everything processed since the last ``reset()``.

        The result is ``{task_name: {metric_name: value}}``.
        """
        return {}


class DatasetEvaluators(DatasetEvaluator):
    """Runs several evaluators on the same data and merges their results into one dict."""

    def __init__(self, evaluators: Sequence[DatasetEvaluator]) -> None:
        super().__init__()
        self._evaluators = list(evaluators)

    def reset(self) -> None:
        for evaluator in self._evaluators:
            evaluator.reset()

    def process(self, inputs: List[dict], outputs: List[dict]) -> None:
        for evaluator in self._evaluators:
            evaluator.process(inputs, outputs)

    def evaluate(self) -> dict:
        """Merge the evaluators' results; two evaluators reporting the same key is an error."""
        results: "OrderedDict[str, dict]" = OrderedDict()
        for evaluator in self._evaluators:
            # Evaluators written detectron2-style may return None on non-main ranks.
            for key, value in (evaluator.evaluate() or {}).items():
                if key in results:
                    raise KeyError(f"evaluators of {type(self).__name__} returned the same key {key!r}")
                results[key] = value
        return results


@contextmanager
def inference_context(model: nn.Module) -> Iterator[None]:
    """Put ``model`` in eval mode for the block and restore its previous training mode after."""
    training_mode = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(training_mode)


def _cuda_sync() -> None:
    # Pending CUDA kernels would otherwise be billed to whatever runs after them.
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def inference_on_dataset(
    model: nn.Module,
    data_loader: Iterable[List[dict]],
    evaluator: Union[DatasetEvaluator, Sequence[DatasetEvaluator], None],
    log_period: float = 30.0,
) -> dict:
    """Run ``model`` on every batch of ``data_loader`` and return ``evaluator.evaluate()``.

    The model runs in eval mode under ``torch.no_grad()`` (its training mode is restored
    afterwards). ``evaluator`` may be a list of evaluators; ``None`` runs inference only and
    returns ``{}``. Logs "Inference i/N" with the time per image and the ETA at least every
    ``log_period`` seconds (to the run's log.txt, not only the console's progress bar), then the
    total time and the time per image, leaving out the first iterations, which pay for warm-up
    (allocations, cudnn autotuning, lazy loading).
    """
    if evaluator is None:
        evaluator = DatasetEvaluator()
    elif not isinstance(evaluator, DatasetEvaluator):
        evaluator = DatasetEvaluators(evaluator)
    evaluator.reset()

    total: Optional[int] = len(data_loader) if hasattr(data_loader, "__len__") else None
    num_warmup = min(5, max(total - 1, 0)) if total is not None else 5
    num_devices = comm.get_world_size()
    logger.info(
        "Start inference on %s batches%s",
        total if total is not None else "an unknown number of",
        f" on {num_devices} devices" if num_devices > 1 else "",
    )

    start_time = time.perf_counter()
    timed_start = last_log = start_time
    num_images = 0
    timed_images = 0
    with inference_context(model), torch.no_grad():
        progress = tqdm(
            data_loader, total=total, desc="inference", disable=not comm.is_main_process(), mininterval=5
        )
        for idx, inputs in enumerate(progress):
            if idx == num_warmup:
                _cuda_sync()
                timed_start = time.perf_counter()
            outputs = model(inputs)
            evaluator.process(inputs, outputs)
            num_images += len(inputs)
            if idx >= num_warmup:
                timed_images += len(inputs)
            now = time.perf_counter()
            if now - last_log >= log_period:
                last_log = now
                per_image = (now - start_time) / num_images
                eta = "" if total is None else f", ETA {datetime.timedelta(seconds=int(per_image * len(inputs) * (total - idx - 1)))}"
                logger.info(f"Inference {idx + 1}/{total if total is not None else '?'}: {per_image:.4f} s/img{eta}")
    _cuda_sync()
    end_time = time.perf_counter()

    total_time = end_time - start_time
    logger.info(
        "Total inference time: %s (%.6f s) for %d images",
        datetime.timedelta(seconds=int(total_time)),
        total_time,
        num_images,
    )
    if timed_images > 0:
        logger.info(
            "Inference time after %d warm-up iterations: %.4f s / img per device, on %d devices",
            num_warmup,
            (end_time - timed_start) / timed_images,
            num_devices,
        )
    elif num_images > 0:
        logger.info(
            "Inference time (too few iterations to leave out warm-up): %.4f s / img per device, "
            "on %d devices",
            total_time / num_images,
            num_devices,
        )

    return evaluator.evaluate()
