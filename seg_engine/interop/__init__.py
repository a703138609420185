"""Registries that connect seg_engine to mmsegmentation and to the zoo; the core and every project fill them
(projects from their ``interop`` module), so nothing under seg_engine/ names a project. See :mod:`.registries`."""
from . import backbone_names
from .registries import BACKBONE_NAMES, MMSEG_HEADS, MMSEG_MODELS, MMSEG_NECKS, MmsegPairing, backbone_name, register_mmseg_model

__all__ = ["BACKBONE_NAMES", "MMSEG_HEADS", "MMSEG_MODELS", "MMSEG_NECKS", "MmsegPairing", "backbone_name", "register_mmseg_model"]
