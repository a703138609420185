"""Parameters per module, FLOPs of one view (fvcore's counter), and the views a test protocol runs."""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Dict, List, Tuple

import numpy as np
import torch
from torch import nn

from ..data.transforms import build_augmentation
from ..deploy.export import ImageToLogits
from ..modeling.meta_arch.inference import InferenceProtocol, window_starts


def parameter_table(model: nn.Module, depth: int = 2) -> List[Tuple[str, int, int]]:
    """``(module name, parameters, trainable parameters)`` of every module ``depth`` levels down (the
    model itself first, as ""), in definition order; shared parameters count once, where first seen."""
    rows: Dict[str, List[int]] = {"": [0, 0]}
    seen = set()
    for name, p in model.named_parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        parts = name.split(".")[:-1]
        for k in range(0, min(depth, len(parts)) + 1):
            key = ".".join(parts[:k])
            row = rows.setdefault(key, [0, 0])
            row[0] += p.numel()
            row[1] += p.numel() if p.requires_grad else 0
    return [(name, total, trainable) for name, (total, trainable) in rows.items()]


def attention_flops(inputs: List[Any], outputs: List[Any]) -> int:
    """fvcore's count of ``aten::scaled_dot_product_attention``, which it does not know: the two products
    ``q @ k^T`` (L x S x E per batch and head) and ``softmax @ v`` (L x S x Ev), one multiply-add = one FLOP."""
    from fvcore.nn.jit_handles import get_shape

    q, k, out = get_shape(inputs[0]), get_shape(inputs[1]), get_shape(outputs[0])
    source = k[-2]
    return int(np.prod(q[:-1])) * source * q[-1] + int(np.prod(out[:-1])) * source * out[-1]


def flop_analysis(module: nn.Module, *inputs: torch.Tensor):
    """fvcore's FlopCountAnalysis of ``module(*inputs)`` with the operators it lacks added (attention), quiet."""
    from fvcore.nn import FlopCountAnalysis  # here: importing fvcore.nn warns about torch.jit.script

    logging.getLogger("fvcore.nn.jit_analysis").setLevel(logging.ERROR)
    analysis = FlopCountAnalysis(module, inputs).set_op_handle("aten::scaled_dot_product_attention", attention_flops)
    return analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)


def count_flops(model: nn.Module, size: Tuple[int, int]) -> int:
    """FLOPs of one whole-image pass at ``size`` as fvcore counts them (one multiply-add = one FLOP)."""
    wrapper = ImageToLogits(model).eval()
    image = torch.zeros(1, 3, *size, device=model.pixel_mean.device)
    with torch.no_grad():
        return int(flop_analysis(wrapper, image).total())


def protocol_views(cfg, image_size: Tuple[int, int]) -> Counter:
    """How many forward passes of which input size the config's test protocol runs on one image of
    ``image_size`` (after INPUT.TEST's resize): windows x scales x flips, as ``Counter({(h, w): n})``."""
    augmentations = build_augmentation(cfg, is_train=False)
    dummy = np.zeros((*image_size, 3), dtype=np.uint8)
    resized, _, _ = augmentations(dummy, None, np.random.default_rng(0))
    h, w = resized.shape[:2]
    protocol = InferenceProtocol.from_config(cfg)
    views: Counter = Counter()
    flips = 2 if protocol.flip else 1
    for scale in protocol.scales:
        sh, sw = max(1, int(h * scale + 0.5)), max(1, int(w * scale + 0.5))
        if protocol.mode == "slide":
            ch, cw = protocol.crop_size
            ph, pw = max(sh, ch), max(sw, cw)
            windows = len(window_starts(ph, ch, protocol.stride[0])) * len(window_starts(pw, cw, protocol.stride[1]))
            views[(ch, cw)] += windows * flips
        else:
            views[(sh, sw)] += flips
    return views
