"""mmsegmentation's STDC1/STDC2 checkpoints (``stdc{1,2}*_4xb12-80k_cityscapes-512x1024``) and ImageNet
STDCNets (``stdc{1,2}_20220308-*.pth``, STDCNet keys only) to RealTimeSegmentor with the
``build_stdc_backbone``. ``auxiliary_head.0/1`` (FCN) are AUX_HEAD/AUX_HEAD2, ``auxiliary_head.2`` (STDCHead)
AUX_HEAD3, the DetailHead; STDCHead's constant Laplacian and fusion kernels are dropped."""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .mmseg_layout import as_segmentor, conv_module, fcn_heads

NET, OURS = r"backbone\.backbone\.stages", "backbone.stdc.stages"
RULES = (
    conv_module(rf"{NET}\.([01])", rf"{OURS}.\1")
    + conv_module(rf"{NET}\.(\d+)\.(\d+)\.layers\.(\d+)\.(\d+)", rf"{OURS}.\1.\2.layers.\3.\4")
    + conv_module(rf"{NET}\.(\d+)\.(\d+)\.(layers|skip)\.(\d+)", rf"{OURS}.\1.\2.\3.\4")
    + conv_module(rf"{NET}\.(\d+)\.(\d+)\.downsample", rf"{OURS}.\1.\2.downsample")
    + conv_module(r"backbone\.arms\.0\.conv_layer", "backbone.context_path.arm32.conv")
    + conv_module(r"backbone\.arms\.1\.conv_layer", "backbone.context_path.arm16.conv")
    + conv_module(r"backbone\.arms\.0\.atten_conv_layer\.1", "backbone.context_path.arm32.attention.1")
    + conv_module(r"backbone\.arms\.1\.atten_conv_layer\.1", "backbone.context_path.arm16.attention.1")
    + conv_module(r"backbone\.convs\.0", "backbone.context_path.head32")
    + conv_module(r"backbone\.convs\.1", "backbone.context_path.head16")
    + conv_module(r"backbone\.conv_avg", "backbone.context_path.global_conv")
    + conv_module(r"backbone\.ffm\.conv0", "backbone.ffm.conv")
    + [(r"backbone\.ffm\.attention\.([12])\.conv\.", r"backbone.ffm.attention.\1.0.")]
    + fcn_heads(3)
)
CONSTANTS = [r"auxiliary_head\.\d+\.(fusion_kernel|laplacian_kernel)$"]


@WEIGHT_CONVERTERS.register()
def mmseg_stdc(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-STDC-mmseg.yaml (MODEL.STDC.TYPE as the checkpoint)."""
    return rename_keys(as_segmentor(state_dict, "backbone.backbone."), RULES, drop=CONSTANTS)
