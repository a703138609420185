"""Export a model to ONNX or TorchScript and check the file against PyTorch before keeping it.

The exported graph takes 1 x 3 x H x W float RGB in 0..255 (normalization is inside) and returns
1 x C x H x W logits of one whole-image pass; test-time protocols (windows, scales, flips) stay in Python.
ONNX goes through torch.export (``dynamo=True``, which needs onnxscript); with ``dynamic`` H and W are
symbolic, which is only right for models whose layers do not bake the traced size in.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..parity.measure import logits_difference
from ..parity.reference import whole_image_logits

FORMATS = ("onnx", "torchscript")
# An export is refused when its logits differ by more than this fraction of the largest |logit|, or
# when fewer than this share of the pixels keep their argmax.
MAX_RELATIVE_DIFF = 1e-3
MIN_ARGMAX_AGREEMENT = 0.999


class ExportError(RuntimeError):
    """The exporter cannot write the model (e.g. ONNX and a dynamic size with adaptive pooling)."""


class ExportMismatchError(ExportError):
    """The exported file does not compute what the PyTorch model computes."""


def _first_line(error: BaseException) -> str:
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


class ImageToLogits(nn.Module):
    """The model's whole-image pass on raw RGB: normalize, predict, logits at the input size."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return whole_image_logits(self.model, image)


def second_size(size: Tuple[int, int]) -> Tuple[int, int]:
    """Another size to check a dynamic export on: about 3/4 of the height and 5/4 of the width, both odd."""
    h, w = size
    return max(1, h * 3 // 4) | 1, (w * 5 // 4) | 1


def _runner(path: str, fmt: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if fmt == "torchscript":
        module = torch.jit.load(path, map_location="cpu").eval()
        return lambda x: module(x)
    try:
        import onnxruntime
    except ImportError:
        raise ImportError("checking an ONNX export needs onnxruntime: pip install -e \".[export]\"") from None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: torch.from_numpy(session.run(None, {name: x.numpy()})[0])


def compare(reference: torch.Tensor, exported: torch.Tensor) -> Dict[str, object]:
    """logits_difference of the exported file's logits from PyTorch's, or an error when their shapes differ."""
    if exported.shape != reference.shape:
        return {"max_abs_diff": float("inf"), "max_abs_logit": reference.abs().max().item(), "argmax_agreement": 0.0,
                "error": f"its output has shape {tuple(exported.shape)}, PyTorch's {tuple(reference.shape)}"}
    return logits_difference(exported, reference)


def export_model(
    model: nn.Module,
    path: str,
    fmt: str = "onnx",
    input_size: Tuple[int, int] = (512, 512),
    dynamic: bool = False,
    check_sizes: Optional[Sequence[Tuple[int, int]]] = None,
    seed: int = 0,
) -> List[Dict[str, float]]:
    """Write ``model`` (an EncoderDecoder on the CPU) to ``path`` and run the file on random images at
    ``input_size`` and, when ``dynamic``, at :func:`second_size` too (or at ``check_sizes``).

    Returns one comparison per size. A file whose logits do not match (see MAX_RELATIVE_DIFF,
    MIN_ARGMAX_AGREEMENT) is deleted and ExportMismatchError names the size and the numbers.
    """
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}, got {fmt!r}")
    wrapper = ImageToLogits(model.eval().cpu()).eval()
    generator = torch.Generator().manual_seed(seed)
    example = torch.rand(1, 3, *input_size, generator=generator) * 255
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        with torch.no_grad():
            if fmt == "torchscript":
                torch.jit.trace(wrapper, example, check_trace=False).save(path)
            else:
                dims = {2: torch.export.Dim("height", min=16, max=8192), 3: torch.export.Dim("width", min=16, max=8192)}
                program = torch.onnx.export(wrapper, (example,), dynamo=True, input_names=["image"],
                                            output_names=["logits"], dynamic_shapes=(dims,) if dynamic else None,
                                            verbose=False)
                program.save(path, external_data=False)
    except Exception as e:  # the exporters raise many types; the first line says what failed
        if os.path.exists(path):
            os.remove(path)
        hint = "; export without --dynamic" if dynamic else ""
        raise ExportError(f"the {fmt} exporter failed: {_first_line(e)}{hint}") from e
    sizes = list(check_sizes) if check_sizes else [tuple(input_size)] + ([second_size(input_size)] if dynamic else [])
    run = _runner(path, fmt)
    results = []
    for size in sizes:
        image = torch.rand(1, 3, *size, generator=generator) * 255
        with torch.no_grad():
            reference = wrapper(image)
            try:
                exported = run(image)
            except Exception as e:  # onnxruntime and TorchScript raise their own types
                exported = None
                error = f"running the file failed: {_first_line(e)}"
        result = {"size": tuple(size), **(compare(reference, exported) if exported is not None else
                                          {"max_abs_diff": float("inf"), "max_abs_logit": reference.abs().max().item(),
                                           "argmax_agreement": 0.0, "error": error})}
        results.append(result)
        relative = result["max_abs_diff"] / max(result["max_abs_logit"], 1e-12)
        if relative > MAX_RELATIVE_DIFF or result["argmax_agreement"] < MIN_ARGMAX_AGREEMENT:
            os.remove(path)
            why = result.get("error") or (
                f"max |logit difference| {result['max_abs_diff']:.3g} ({relative:.2g} of the largest logit), "
                f"argmax agrees on {100 * result['argmax_agreement']:.2f}% of pixels"
            )
            raise ExportMismatchError(
                f"the {fmt} export does not match PyTorch at {size[0]}x{size[1]}: {why}; file not kept "
                f"(a dynamic-size export of a model with size-dependent steps, e.g. adaptive pooling or padding "
                f"to SIZE_DIVISIBILITY, is only valid at its export size: export without --dynamic)"
            )
    return results
