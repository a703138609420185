"""The dilated-ResNet FCN (the core's FCNHead) in the models --compare-mmseg pairs, through this project's converter."""
from seg_engine.interop import register_mmseg_model

register_mmseg_model("mmseg_fcn", "FCNHead", "", "_base_/models/fcn_r50-d8.py")
