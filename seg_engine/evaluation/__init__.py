"""Evaluation: the evaluator protocol, the inference loop and semantic segmentation metrics."""
from .evaluator import DatasetEvaluator, DatasetEvaluators, inference_context, inference_on_dataset
from .results_json import results_as_json, write_results_json
from .sem_seg_evaluation import SemSegEvaluator

__all__ = [
    "DatasetEvaluator",
    "DatasetEvaluators",
    "inference_context",
    "inference_on_dataset",
    "SemSegEvaluator",
    "results_as_json",
    "write_results_json",
]
