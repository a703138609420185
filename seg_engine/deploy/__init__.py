"""After training: predictions of files and folders, and export to ONNX or TorchScript."""
from .export import ExportError, ExportMismatchError, export_model, load_exported
from .predict import PredictionReport, expand_inputs, predict_to_folder

__all__ = ["ExportError", "ExportMismatchError", "PredictionReport", "expand_inputs", "export_model", "load_exported",
           "predict_to_folder"]
