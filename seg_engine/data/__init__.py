"""Datasets, augmentations, the mapper and the loaders."""
from . import datasets  # registers the built-in datasets
from .build import build_test_loader, build_train_loader, get_dataset_dicts
from .catalog import DatasetCatalog, Metadata, MetadataCatalog
from .errors import DatasetError
from .mapper import SemSegDatasetMapper

__all__ = [
    "DatasetCatalog",
    "DatasetError",
    "Metadata",
    "MetadataCatalog",
    "SemSegDatasetMapper",
    "build_test_loader",
    "build_train_loader",
    "get_dataset_dicts",
]
