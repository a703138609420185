"""Built-in datasets, registered on import without touching the disk: ``shapes`` (generated), ADE20K,
Cityscapes, Pascal VOC 2012 and CamVid (read from ``$SEG_ENGINE_DATASETS``), and folder datasets."""
from .ade20k import ADE20K_CLASSES, ADE20K_PALETTE, ade20k_label_map, load_ade20k, register_ade20k
from .camvid import CAMVID_CLASSES, CAMVID_PALETTE, camvid_label_map, load_camvid, register_camvid
from .cityscapes import CITYSCAPES_CLASSES, CITYSCAPES_PALETTE, cityscapes_label_map, load_cityscapes, register_cityscapes
from .folder import load_folder, register_folder_dataset, register_folder_from_cfg
from .pairing import UnpairedFilesError, pair_files, scan_files
from .root import DATASETS_ENV_VAR, DatasetNotFoundError, datasets_root
from .shapes import SHAPES_CLASSES, SHAPES_PALETTE, load_shapes, prepare_shapes, register_shapes
from .voc import VOC_CLASSES, VOC_PALETTE, load_voc, register_voc

__all__ = [
    "ADE20K_CLASSES",
    "ADE20K_PALETTE",
    "CAMVID_CLASSES",
    "CAMVID_PALETTE",
    "CITYSCAPES_CLASSES",
    "CITYSCAPES_PALETTE",
    "DATASETS_ENV_VAR",
    "DatasetNotFoundError",
    "SHAPES_CLASSES",
    "SHAPES_PALETTE",
    "UnpairedFilesError",
    "VOC_CLASSES",
    "VOC_PALETTE",
    "ade20k_label_map",
    "camvid_label_map",
    "cityscapes_label_map",
    "datasets_root",
    "load_ade20k",
    "load_camvid",
    "load_cityscapes",
    "load_folder",
    "load_shapes",
    "load_voc",
    "pair_files",
    "prepare_shapes",
    "register_ade20k",
    "register_camvid",
    "register_cityscapes",
    "register_folder_dataset",
    "register_folder_from_cfg",
    "register_shapes",
    "register_voc",
    "scan_files",
]

register_shapes()
register_ade20k()
register_cityscapes()
register_voc()
register_camvid()
