"""The authors' released Mask2Former weights (facebookresearch/Mask2Former, detectron2 ``.pkl`` files), one layout per
backbone (``d2_mask2former``: ResNet; ``d2_mask2former_swin``: Swin), for the ``*_d2.yaml`` recipes.

A release file is a pickled ``{"model": {key: numpy array}, ...}``. :func:`read_d2_pkl` unpickles it
allowing only numpy's array reconstruction (any other global in the file is refused, so loading runs no
code from the file) and returns torch tensors; ``python -m seg_engine_projects.mask2former.convert_d2 IN.pkl
OUT.pth`` writes a checkpoint that MODEL.WEIGHTS loads as it is.

Keys: detectron2's ResNet (``backbone.stem.conv1``, ``backbone.res<k>.<i>.{conv<j>, shortcut}`` each with
``.norm``) becomes torchvision's layout; the Swin backbone keeps its names (the authors' layout, the core's
``swin_imagenet``) less its ``relative_position_index`` buffers; ``sem_seg_head.pixel_decoder.*`` becomes
``neck.*`` and ``sem_seg_head.predictor.*`` ``decode_head.*``.
"""
from __future__ import annotations

import pickle
from typing import Any, Dict

import numpy as np
import torch

from seg_engine.checkpoint import WeightLayout, register_layout

RESNET_RULES = [
    (r"^backbone\.stem\.conv1\.norm\.", "backbone.bn1."),
    (r"^backbone\.stem\.conv1\.weight$", "backbone.conv1.weight"),
    (r"^backbone\.res(\d)\.(\d+)\.shortcut\.norm\.", r"backbone.layer<\1>.\2.downsample.1."),
    (r"^backbone\.res(\d)\.(\d+)\.shortcut\.weight$", r"backbone.layer<\1>.\2.downsample.0.weight"),
    (r"^backbone\.res(\d)\.(\d+)\.conv(\d)\.norm\.", r"backbone.layer<\1>.\2.bn\3."),
    (r"^backbone\.res(\d)\.(\d+)\.conv(\d)\.weight$", r"backbone.layer<\1>.\2.conv\3.weight"),
]
PIXEL = r"^sem_seg_head\.pixel_decoder\."
PRED = r"^sem_seg_head\.predictor\."
HEAD_RULES = [
    (PIXEL + r"input_proj\.", "neck.input_proj."),
    (PIXEL + r"transformer\.level_embed$", "neck.level_embed"),
    (PIXEL + r"transformer\.encoder\.layers\.(\d+)\.", r"neck.encoder.\1."),
    (PIXEL + r"mask_features\.", "neck.mask_features."),
    (PIXEL + r"adapter_(\d+)\.norm\.", r"neck.lateral_convs.<\1>.1."),
    (PIXEL + r"adapter_(\d+)\.(weight|bias)$", r"neck.lateral_convs.<\1>.0.\2"),
    (PIXEL + r"layer_(\d+)\.norm\.", r"neck.output_convs.<\1>.1."),
    (PIXEL + r"layer_(\d+)\.(weight|bias)$", r"neck.output_convs.<\1>.0.\2"),
    (PRED + r"transformer_self_attention_layers\.(\d+)\.self_attn\.", r"decode_head.layers.\1.self_attn."),
    (PRED + r"transformer_self_attention_layers\.(\d+)\.norm\.", r"decode_head.layers.\1.self_attn_norm."),
    (PRED + r"transformer_cross_attention_layers\.(\d+)\.multihead_attn\.", r"decode_head.layers.\1.cross_attn."),
    (PRED + r"transformer_cross_attention_layers\.(\d+)\.norm\.", r"decode_head.layers.\1.cross_attn_norm."),
    (PRED + r"transformer_ffn_layers\.(\d+)\.norm\.", r"decode_head.layers.\1.ffn_norm."),
    (PRED + r"transformer_ffn_layers\.(\d+)\.", r"decode_head.layers.\1."),
    (PRED, "decode_head."),
]
DROP = [r"^criterion\.empty_weight$", r".*\.num_batches_tracked$"]

# The globals a pickled dict of numpy arrays needs (numpy 1.x files name numpy.core, 2.x numpy._core).
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("collections", "OrderedDict"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module.replace("numpy.core", "numpy._core") if hasattr(np, "_core") else module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a weights file holds numpy arrays only")


def read_d2_pkl(path: str) -> Dict[str, Any]:
    """The ``model`` dict of a detectron2 ``.pkl`` release, as torch tensors (loaded without running code)."""
    with open(path, "rb") as f:
        try:
            data = _ArraysOnlyUnpickler(f, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as e:
            raise ValueError(f"{path} is not a detectron2 weights file: {e}") from None
    state = data.get("model", data) if isinstance(data, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path} is not a detectron2 weights file: no dict of arrays (a {type(data).__name__})")
    return {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else torch.as_tensor(v)
            for k, v in state.items()}


RECIPES = "seg_engine://Mask2Former/ade20k/"
HEAD_EXAMPLES = {
    "neck.level_embed": "sem_seg_head.pixel_decoder.transformer.level_embed",
    "neck.lateral_convs.0.1.bias": "sem_seg_head.pixel_decoder.adapter_1.norm.bias",
    "neck.output_convs.0.0.weight": "sem_seg_head.pixel_decoder.layer_1.weight",
    "decode_head.layers.8.cross_attn.in_proj_weight":
        "sem_seg_head.predictor.transformer_cross_attention_layers.8.multihead_attn.in_proj_weight",
    "decode_head.layers.3.ffn_norm.bias": "sem_seg_head.predictor.transformer_ffn_layers.3.norm.bias",
    "decode_head.layers.3.linear2.weight": "sem_seg_head.predictor.transformer_ffn_layers.3.linear2.weight",
    "decode_head.mask_embed.layers.1.weight": "sem_seg_head.predictor.mask_embed.layers.1.weight",
}

register_layout(WeightLayout(
    name="d2_mask2former",
    source="the authors' trained Mask2Former with a ResNet (facebookresearch/Mask2Former's MODEL_ZOO: "
           "model_final_*.pkl, read by read_d2_pkl or python -m seg_engine_projects.mask2former.convert_d2): detectron2's ResNet to "
           "torchvision's names, the pixel decoder to neck, the predictor to decode_head",
    rules=RESNET_RULES + HEAD_RULES,
    drop=DROP,
    recipe=RECIPES + "mask2former_r50_512x512_160k_ade20k_d2.yaml",
    key_table="projects/Mask2Former/tests/data/d2_mask2former_r50_keys.txt",
    examples={**HEAD_EXAMPLES,
              "backbone.bn1.running_var": "backbone.stem.conv1.norm.running_var",
              "backbone.layer4.2.bn3.weight": "backbone.res5.2.conv3.norm.weight",
              "backbone.layer1.0.downsample.0.weight": "backbone.res2.0.shortcut.weight"},
))
register_layout(WeightLayout(
    name="d2_mask2former_swin",
    source="the authors' trained Mask2Former with a Swin (facebookresearch/Mask2Former's MODEL_ZOO: model_final_*.pkl, "
           "read as d2_mask2former's): the Swin in the authors' layout (swin_imagenet) less its "
           "relative_position_index buffers",
    rules=HEAD_RULES,
    reuses=[("backbone.", "swin_imagenet")],
    drop=DROP,
    recipe=RECIPES + "mask2former_swin-t_512x512_160k_ade20k_d2.yaml",
    key_table="projects/Mask2Former/tests/data/d2_mask2former_swin-t_keys.txt",
    examples={**HEAD_EXAMPLES,
              "backbone.layers.2.blocks.5.attn.qkv.weight": "backbone.layers.2.blocks.5.attn.qkv.weight",
              "backbone.norm3.bias": "backbone.norm3.bias"},
))
