"""Semantic FPN in the models --compare-mmseg pairs."""
from seg_engine.interop import register_mmseg_model

register_mmseg_model("mmseg_fpn", "SemSegFPNHead", "FPN", "_base_/models/fpn_r50.py")
