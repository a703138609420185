"""Speed options applied to a built model: channels-last weights (MODEL.CHANNELS_LAST) and torch.compile
of the network with a fallback to eager mode (MODEL.COMPILE)."""
from __future__ import annotations

import logging
from typing import Callable

import torch
from torch import nn

logger = logging.getLogger(__name__)

__all__ = ["CompileWithFallback", "apply_speed_options"]


class CompileWithFallback:
    """Calls ``torch.compile(fn)``; if a call fails before one has succeeded (no compiler, an unsupported
    op), logs one warning line and runs ``fn`` eagerly from then on. A genuine error in ``fn`` then
    surfaces from the eager call, so nothing is hidden."""

    def __init__(self, fn: Callable, name: str, **compile_kwargs) -> None:
        self.eager = fn
        self.name = name
        self.compiled = torch.compile(fn, **compile_kwargs)
        self.state = "untried"  # "compiled" after a successful call, "eager" after a failed one

    def __call__(self, *args, **kwargs):
        if self.state == "compiled":
            return self.compiled(*args, **kwargs)
        if self.state == "eager":
            return self.eager(*args, **kwargs)
        try:
            out = self.compiled(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - any failure of the compiler falls back to eager mode
            self.state = "eager"
            logger.warning(f"MODEL.COMPILE: torch.compile of {self.name} failed ({_reason(e)}); running eagerly")
            return self.eager(*args, **kwargs)
        self.state = "compiled"
        return out


def apply_speed_options(model: nn.Module, cfg, **compile_kwargs) -> nn.Module:
    """MODEL.CHANNELS_LAST: weights to channels-last (EncoderDecoder converts its inputs); MODEL.COMPILE:
    the network (``segment``, else ``forward``) compiled, parameters and state_dict keys unchanged."""
    if cfg.MODEL.CHANNELS_LAST:
        model.to(memory_format=torch.channels_last)
    if cfg.MODEL.COMPILE:
        name = "segment" if hasattr(model, "segment") else "forward"
        setattr(model, name, CompileWithFallback(getattr(model, name), f"{type(model).__name__}.{name}",
                                                 **compile_kwargs))
    return model


def _reason(error: BaseException) -> str:
    """The failure in one line: the innermost cause (dynamo wraps the compiler's error), its first line."""
    while getattr(error, "inner_exception", None) or error.__cause__:
        error = getattr(error, "inner_exception", None) or error.__cause__
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {first}"
