"""Evaluation: the evaluator protocol, the inference loop and semantic segmentation metrics."""
from .evaluator import DatasetEvaluator, DatasetEvaluators, inference_context, inference_on_dataset
from .prediction_writer import SemSegPredictionWriter
from .results_json import results_as_json, write_results_json
from .sem_seg_evaluation import SemSegEvaluator

__all__ = [
    "SemSegPredictionWriter",
    "DatasetEvaluator",
    "DatasetEvaluators",
    "inference_context",
    "inference_on_dataset",
    "SemSegEvaluator",
    "results_as_json",
    "write_results_json",
]
