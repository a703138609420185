"""Looking at a model, a run or a dataset: parameters and FLOPs, speed, metric curves, augmented samples."""
from .benchmark import benchmark_inference, benchmark_training
from .metrics_plot import plot_metrics, read_metrics
from .model_stats import count_flops, parameter_table, protocol_views

__all__ = [
    "benchmark_inference",
    "benchmark_training",
    "count_flops",
    "parameter_table",
    "plot_metrics",
    "protocol_views",
    "read_metrics",
]
