"""Built-in datasets (``shapes``, registered on import) and folder datasets."""
from .folder import load_folder, register_folder_dataset, register_folder_from_cfg
from .shapes import SHAPES_CLASSES, SHAPES_PALETTE, load_shapes, prepare_shapes, register_shapes

__all__ = [
    "SHAPES_CLASSES",
    "SHAPES_PALETTE",
    "load_folder",
    "load_shapes",
    "prepare_shapes",
    "register_folder_dataset",
    "register_folder_from_cfg",
    "register_shapes",
]

register_shapes()
