"""Checkpointer on fvcore's: atomic writes, raw state dicts and backbone-only weights load too."""
from __future__ import annotations

import glob
import logging
import os
import pickle
import tempfile
import zipfile
from typing import Any, Dict, List

import torch
from fvcore.common.checkpoint import Checkpointer as _FvCheckpointer
from torch import nn

from .converters import convert_weights, unwrap_state_dict


def atomic_write(path: str, write_fn) -> None:
    """Write through ``write_fn(file)`` to a temporary sibling, fsync it, rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class CheckpointError(RuntimeError):
    """No usable checkpoint where one was expected."""


_UNREADABLE = (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile)


class Checkpointer(_FvCheckpointer):
    """Saves ``{"model", <checkpointables>, **extra}``; a file is complete before ``last_checkpoint`` names it.

    Loading accepts our checkpoints, a raw state dict, a dict with ``state_dict`` (the layout of
    hszhao/semseg and PyTorch-Encoding), and backbone-only weights (such as torchvision's ImageNet
    ResNets), which are matched under ``backbone.``.
    """

    def __init__(
        self, model: nn.Module, save_dir: str = "", *, save_to_disk: bool = True, weights_format: str = "", **checkpointables: Any
    ) -> None:
        """``weights_format`` names the converter (MODEL.WEIGHTS_FORMAT) for files that are not ours
        (ours have a ``model`` key; the authors' have ``state_dict`` or are raw state dicts)."""
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        super().__init__(model, save_dir, save_to_disk=save_to_disk, **checkpointables)
        self.weights_format = weights_format
        self.logger = logging.getLogger(__name__)

    def save(self, name: str, *, tag_last: bool = True, **kwargs: Any) -> None:
        """Write ``name.pth``; ``tag_last=False`` keeps ``last_checkpoint`` (for side copies like the best model)."""
        if not self.save_dir:
            return
        # Every process builds the state (it may gather from all of them); only the writer writes it.
        data = {"model": self.model.state_dict()}
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        data.update(kwargs)
        if not self.save_to_disk:
            return
        basename = f"{name}.pth"
        self.logger.info(f"Saving checkpoint to {os.path.join(self.save_dir, basename)}")
        atomic_write(os.path.join(self.save_dir, basename), lambda f: torch.save(data, f))
        if tag_last:
            self.tag_last_checkpoint(basename)

    def tag_last_checkpoint(self, last_filename_basename: str) -> None:
        atomic_write(os.path.join(self.save_dir, "last_checkpoint"), lambda f: f.write(last_filename_basename.encode()))

    def resume_or_load(self, path: str, *, resume: bool = True) -> Dict[str, Any]:
        """Resume the full state from ``last_checkpoint`` when ``resume`` and one exists, else load
        the weights at ``path``. A corrupt or missing last checkpoint falls back to the newest readable
        earlier one with a warning; none readable is an error naming them."""
        if not (resume and self.has_checkpoint()):
            return self.load(path, checkpointables=[])
        tried: List[str] = []
        for candidate in self._resume_candidates():
            try:
                loaded = self.load(candidate)
            except _UNREADABLE as e:
                self.logger.warning(f"Checkpoint {candidate} cannot be loaded ({type(e).__name__}: {e}); trying an earlier one")
                tried.append(candidate)
                continue
            if tried:
                self.logger.warning(f"Resumed from {candidate} because {', '.join(tried)} could not be loaded")
            return loaded
        raise CheckpointError(f"cannot resume: no readable checkpoint in {self.save_dir} (tried {', '.join(tried)})")

    def _resume_candidates(self) -> List[str]:
        """The file ``last_checkpoint`` names, then every other training checkpoint, newest first."""
        last = self.get_checkpoint_file()
        others = [
            f for f in glob.glob(os.path.join(self.save_dir, "model_*.pth"))
            if os.path.basename(f) != "model_best.pth" and os.path.abspath(f) != os.path.abspath(last)
        ]
        return [last] + sorted(others, key=os.path.getmtime, reverse=True)

    def load(self, path: str, checkpointables=None) -> Dict[str, Any]:
        if path and not os.path.isfile(path) and "://" not in path:
            raise FileNotFoundError(f"checkpoint {path} does not exist")
        return super().load(path, checkpointables)

    def load_for_inference(self, path: str) -> None:
        """Load model weights that must cover the whole model (evaluation, prediction): a key the
        file lacks, or has in another shape, is an error instead of a randomly initialised layer."""
        self.load(path, checkpointables=[])
        incompatible = self._last_incompatible
        bad = [k for k in incompatible.missing_keys if not k.endswith("num_batches_tracked")]
        bad += [k for k, *_ in incompatible.incorrect_shapes if k not in bad]
        if bad:
            shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            raise CheckpointError(
                f"{path} does not fit the model: {len(bad)} weights missing or of another shape ({shown}); "
                "a checkpoint in another layout needs MODEL.WEIGHTS_FORMAT (tools/convert_weights.py --list)"
            )

    def _load_model(self, checkpoint: Any):
        self._last_incompatible = super()._load_model(checkpoint)
        return self._last_incompatible

    def _load_file(self, f: str) -> Dict[str, Any]:
        loaded = torch.load(f, map_location="cpu", weights_only=True)
        if not isinstance(loaded, dict):
            raise ValueError(f"checkpoint {f} holds a {type(loaded).__name__}, not a dict")
        if "model" in loaded:
            return loaded
        if self.weights_format:
            return {"model": convert_weights(loaded, self.weights_format)}
        return {"model": self._match_backbone(unwrap_state_dict(loaded))}

    def _match_backbone(self, state: Dict[str, Any]) -> Dict[str, Any]:
        """Prefix ``backbone.`` when the keys are the backbone's own (weights of a classifier)."""
        own = self.model.state_dict()
        if hasattr(self.model, "backbone") and not any(k in own for k in state):
            prefixed = {f"backbone.{k}": v for k, v in state.items()}
            if any(k in own for k in prefixed):
                return prefixed
        return state
