"""Export a model to ONNX, torch.export's .pt2 or TorchScript, and check the file against PyTorch
before keeping it.

The exported graph takes 1 x 3 x H x W float RGB in 0..255 (normalization is inside) and returns
1 x C x H x W logits of one whole-image pass; test-time protocols (windows, scales, flips) stay in Python.
ONNX and .pt2 go through torch.export (ONNX with ``dynamo=True``, which needs onnxscript); TorchScript
(``torch.jit.trace``, deprecated in torch 2.14) is the fallback for models torch.export cannot take.
With ``dynamic`` H and W are symbolic, which is only right for models whose layers do not bake the
traced size in; the check at three sizes finds those that do.
"""
from __future__ import annotations

import contextlib
import os
import re
import warnings
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..parity.measure import logits_difference
from ..parity.reference import whole_image_logits

FORMATS = ("onnx", "pt2", "torchscript")
# The range of H and W of a dynamic export (torch.export specializes sizes 0 and 1, so the smallest
# size must be at least 2; 16 keeps every stride-32 backbone's feature maps non-empty).
MIN_DYNAMIC_SIZE = 16
MAX_DYNAMIC_SIZE = 8192
# An export is refused when its logits differ by more than this fraction of the largest |logit|, or
# when fewer than this share of the pixels keep their argmax.
MAX_RELATIVE_DIFF = 1e-3
MIN_ARGMAX_AGREEMENT = 0.999


class ExportError(RuntimeError):
    """The exporter cannot write the model (e.g. a model torch.export cannot take)."""


class ExportMismatchError(ExportError):
    """The exported file does not compute what the PyTorch model computes."""


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(error: BaseException) -> str:
    """The first line of the innermost cause (the exporters wrap torch.export's error in their own
    advice), without terminal colours."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = [line for line in _ANSI_ESCAPE.sub("", str(error)).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


class ImageToLogits(nn.Module):
    """The model's whole-image pass on raw RGB: normalize, predict, logits at the input size."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return whole_image_logits(self.model, image)


def _clamp(n: int) -> int:
    return min(max(n, MIN_DYNAMIC_SIZE), MAX_DYNAMIC_SIZE)


def second_size(size: Tuple[int, int]) -> Tuple[int, int]:
    """Another size to check a dynamic export on: about 3/4 of the height and 5/4 of the width, both odd."""
    h, w = size
    return _clamp(max(1, h * 3 // 4) | 1), _clamp((w * 5 // 4) | 1)


def third_size(size: Tuple[int, int]) -> Tuple[int, int]:
    """A third: about 5/4 of the height and 3/4 of the width, both odd (the other aspect ratio)."""
    h, w = size
    return _clamp((h * 5 // 4) | 1), _clamp(max(1, w * 3 // 4) | 1)


def check_input_size(input_size: Sequence[int], dynamic: bool) -> None:
    """Two positive sides; with ``dynamic`` within [MIN_DYNAMIC_SIZE, MAX_DYNAMIC_SIZE]. Else one line."""
    if len(input_size) != 2 or any(not isinstance(n, int) or n < 1 for n in input_size):
        raise ValueError(f"--input-size must be two positive integers H W, got {' '.join(map(str, input_size))}")
    if dynamic and not all(MIN_DYNAMIC_SIZE <= n <= MAX_DYNAMIC_SIZE for n in input_size):
        raise ValueError(
            f"--input-size {input_size[0]} {input_size[1]} with --dynamic: H and W must be within "
            f"{MIN_DYNAMIC_SIZE}..{MAX_DYNAMIC_SIZE} (the range the file accepts); export at a size in it"
        )


@contextlib.contextmanager
def _quiet_torchscript(tracer_warnings: List[str]) -> Iterator[None]:
    """Around our own torch.jit calls only: torch 2.14 deprecates torch.jit (one FutureWarning per
    call), and the tracer warns wherever our code compares a size with a Python number. Those places
    go into ``tracer_warnings`` for the error message; whether the trace fits other sizes is what the
    check against PyTorch finds out."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if issubclass(w.category, torch.jit.TracerWarning):
            tracer_warnings.append(f"{os.path.basename(w.filename)}:{w.lineno}")
        elif not (issubclass(w.category, FutureWarning) and "torch.jit" in str(w.message)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _dynamic_dim(name: str):
    """A dynamic H or W in [MIN_DYNAMIC_SIZE, MAX_DYNAMIC_SIZE]. ``Dim.DYNAMIC`` (torch 2.6+) lets
    torch.export keep the guards that our size checks create (e.g. "logits already at the input size?"),
    which a named ``Dim`` refuses as constraint violations."""
    if hasattr(torch.export.Dim, "DYNAMIC"):
        return torch.export.Dim.DYNAMIC(min=MIN_DYNAMIC_SIZE, max=MAX_DYNAMIC_SIZE)
    return torch.export.Dim(name, min=MIN_DYNAMIC_SIZE, max=MAX_DYNAMIC_SIZE)


def _write(wrapper: nn.Module, example: torch.Tensor, path: str, fmt: str, dynamic: bool,
           tracer_warnings: List[str]) -> None:
    dynamic_shapes = ({2: _dynamic_dim("height"), 3: _dynamic_dim("width")},) if dynamic else None
    if fmt == "torchscript":
        with _quiet_torchscript(tracer_warnings):
            torch.jit.trace(wrapper, example, check_trace=False).save(path)
    elif fmt == "pt2":
        program = torch.export.export(wrapper, (example,), dynamic_shapes=dynamic_shapes)
        with open(path, "wb") as f:  # a file object: torch.export.save warns about names not ending in .pt2
            torch.export.save(program, f)
    else:
        program = torch.onnx.export(wrapper, (example,), dynamo=True, input_names=["image"], output_names=["logits"],
                                    dynamic_shapes=dynamic_shapes, verbose=False)
        program.save(path, external_data=False)


def load_exported(path: str, fmt: str, threads: int = 0) -> Callable[[torch.Tensor], torch.Tensor]:
    """The exported file at ``path`` as a callable of a 1 x 3 x H x W image (0..255 floats) on the CPU: TorchScript,
    ``torch.export`` (.pt2) or onnxruntime (``threads`` intra-op threads; 0: its default)."""
    if fmt == "torchscript":
        with _quiet_torchscript([]):
            module = torch.jit.load(path, map_location="cpu").eval()
        return lambda x: module(x)
    if fmt == "pt2":
        with open(path, "rb") as f:
            module = torch.export.load(f).module()
        return lambda x: module(x)
    try:
        import onnxruntime
    except ImportError:
        raise ImportError("checking an ONNX export needs onnxruntime: pip install -e \".[export]\"") from None
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
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
    ``input_size`` and, when ``dynamic``, at :func:`second_size` and :func:`third_size` too (or at
    ``check_sizes``).

    Returns one comparison per size. A file whose logits do not match (see MAX_RELATIVE_DIFF,
    MIN_ARGMAX_AGREEMENT) is deleted and ExportMismatchError names the size and the numbers.
    """
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}, got {fmt!r}")
    input_size = tuple(input_size)
    check_input_size(input_size, dynamic)
    wrapper = ImageToLogits(model.eval().cpu()).eval()
    generator = torch.Generator().manual_seed(seed)
    example = torch.rand(1, 3, *input_size, generator=generator) * 255
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tracer_warnings: List[str] = []
    try:
        with torch.no_grad():
            _write(wrapper, example, path, fmt, dynamic, tracer_warnings)
    except Exception as e:  # the exporters raise many types; the innermost cause says what failed
        if os.path.exists(path):
            os.remove(path)
        hint = "; export without --dynamic" if dynamic else ""
        if fmt != "torchscript":
            hint += "; --format torchscript traces models that torch.export cannot take"
        raise ExportError(f"the {fmt} exporter failed: {_first_line(e)}{hint}") from e
    sizes = list(check_sizes) if check_sizes else (
        [input_size] + ([second_size(input_size), third_size(input_size)] if dynamic else []))
    run = load_exported(path, fmt)
    results = []
    for size in sizes:
        image = torch.rand(1, 3, *size, generator=generator) * 255
        with torch.no_grad():
            reference = wrapper(image)
            try:
                exported = run(image)
            except Exception as e:  # onnxruntime, torch.export and TorchScript raise their own types
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
            flagged = f"; the tracer flagged {', '.join(sorted(set(tracer_warnings)))}" if tracer_warnings else ""
            raise ExportMismatchError(
                f"the {fmt} export does not match PyTorch at {size[0]}x{size[1]}: {why}; file not kept "
                f"(a dynamic-size export of a model with size-dependent steps, e.g. padding to "
                f"SIZE_DIVISIBILITY, is only valid at its export size: export without --dynamic){flagged}"
            )
    return results
