"""Checkpointer on fvcore's: atomic writes, raw state dicts and backbone-only weights load too."""
from __future__ import annotations

import errno
import glob
import logging
import os
import pickle
import zipfile
from typing import Any, Dict, List, Optional, Tuple

import torch
from fvcore.common.checkpoint import Checkpointer as _FvCheckpointer
from torch import nn

from .atomic import atomic_write
from .converters import convert_weights, unwrap_state_dict
from .errors import CheckpointError, CheckpointMismatchError, NonFiniteCheckpointError
from .references import fetch_weights, resolve_weights
from .safe_load import load_torch_file
from .non_finite import non_finite_tensors


def _disk_full(error: BaseException) -> bool:
    """ENOSPC or EDQUOT anywhere in the chain (torch.save turns the OSError into a RuntimeError)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        error = error.__cause__ or error.__context__
    return False


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
        (ours have a ``model`` key; the authors' have ``state_dict`` or are raw state dicts); it wins over
        the converter a weights name implies, and also converts a ``{"model": ...}`` file that lacks some of
        this model's keys (the authors' Swin and ConvNeXt ImageNet files, detectron2-trained files), see :meth:`_is_ours`."""
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        super().__init__(model, save_dir, save_to_disk=save_to_disk, **checkpointables)
        self.weights_format = weights_format
        self.logger = logging.getLogger(__name__)
        # (iteration, path) of the newest checkpoint ``last_checkpoint`` names, written by this process.
        self.last_saved: Optional[Tuple[int, str]] = None
        self._resuming_from = ""
        self._file_was_ours = False  # the last file loaded was a seg_engine checkpoint (a "model" key)
        self._file_format = weights_format  # the converter of the file being loaded: explicit, or implied by its name
        self._for_inference = False  # load_for_inference: every tensor must fit (no classifier is re-initialised)

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
        path = os.path.join(self.save_dir, basename)
        self._refuse_non_finite(data, path)
        self.logger.info(f"Saving checkpoint to {path}")
        try:
            atomic_write(path, lambda f: torch.save(data, f))
            if tag_last:
                self.tag_last_checkpoint(basename)
        except (OSError, RuntimeError) as e:
            if not _disk_full(e):
                raise
            last = self.get_checkpoint_file() if self.has_checkpoint() else ""
            raise CheckpointError(
                f"No space left on device while writing {path}, the last complete checkpoint is "
                f"{last or 'none (nothing was saved before)'}"
            ) from None
        if tag_last and "iteration" in kwargs:
            self.last_saved = (kwargs["iteration"], path)

    def _refuse_non_finite(self, data: Dict[str, Any], path: str) -> None:
        """A state with NaN or infinity anywhere (weights, BatchNorm statistics, optimizer moments) is
        never written: resuming from it would restart from a broken model."""
        bad = non_finite_tensors(data)
        if not bad:
            return
        name, kind = bad[0]
        more = f" (and {len(bad) - 1} more non-finite tensors)" if len(bad) > 1 else ""
        last = self.get_checkpoint_file() if self.has_checkpoint() else ""
        raise NonFiniteCheckpointError(
            f"checkpoint {path} not written: {name} holds {kind}{more}; last_checkpoint "
            f"{'still names ' + last if last else 'names none (nothing finite was saved before)'}"
        )

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
                self._resuming_from = candidate
                loaded = self.load(candidate)
            except CheckpointMismatchError:
                raise
            except _UNREADABLE as e:
                self.logger.warning(f"Checkpoint {candidate} cannot be loaded ({type(e).__name__}: {e}); trying an earlier one")
                tried.append(candidate)
                continue
            finally:
                self._resuming_from = ""
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
        """``path`` is a weights reference (a file, a URL or a name, see references.py): a URL or name is
        read from the cache (downloaded once) and implies its converter unless ``weights_format`` is set (a
        trained model's, ``zoo://NAME``, always wins: it is the file's own layout)."""
        self._file_format = self.weights_format
        if path:
            local, implied_format = fetch_weights(path)
            if not os.path.isfile(local):
                raise FileNotFoundError(f"checkpoint {path} does not exist")
            exact = resolve_weights(path).exact_format
            self._file_format = implied_format if exact else self.weights_format or implied_format
            path = local
        return super().load(path, checkpointables)

    def load_for_inference(self, path: str) -> None:
        """Load model weights that must cover the whole model (evaluation, prediction): a key the
        file lacks, or has in another shape, is an error naming the first such key instead of a randomly
        initialised layer."""
        self._for_inference = True
        try:
            self.load(path, checkpointables=[])
        finally:
            self._for_inference = False
        incompatible = self._last_incompatible
        shapes = [(k, tuple(theirs), tuple(ours)) for k, theirs, ours in incompatible.incorrect_shapes]
        # fvcore also lists a tensor of another shape as missing: count each key once
        missing = [k for k in incompatible.missing_keys if not k.endswith("num_batches_tracked")
                   and k not in {key for key, *_ in shapes}]
        if not missing and not shapes:
            return
        count = len(missing) + len(shapes)
        first = (f"{shapes[0][0]} has shape {shapes[0][1]} in the file, {shapes[0][2]} in the model" if shapes
                 else f"{missing[0]} is missing from the file")
        if self._file_was_ours:
            advice = "it holds another model than this config builds (check MODEL.* against the run that saved it)"
        else:
            advice = "a checkpoint in another layout needs MODEL.WEIGHTS_FORMAT (tools/convert_weights.py --list)"
        raise CheckpointError(f"{path} does not fit the model: {first} ({count} weights missing or of another "
                              f"shape); {advice}")

    def _load_model(self, checkpoint: Any):
        if self._resuming_from:
            self._check_same_model(checkpoint["model"])
        incompatible = super()._load_model(checkpoint)
        if incompatible.incorrect_shapes and not self._for_inference:
            incompatible = self._keep_classifiers(incompatible)
        self._last_incompatible = incompatible
        return incompatible

    def _keep_classifiers(self, incompatible):
        """Fine-tuning with another class count: the classifiers (tensors whose first dimension is the model's
        class count, or one more for a "no object" class, and off by the same number everywhere) keep their new
        initialisation, named in one log line; any other tensor of another shape is an error naming the first."""
        num_classes = getattr(self.model, "num_classes", None)
        deltas = {ckpt[0] - own[0] for _, ckpt, own in incompatible.incorrect_shapes if len(ckpt) == len(own) and ckpt}
        for key, ckpt, own in incompatible.incorrect_shapes:
            classifier = (num_classes is not None and len(ckpt) == len(own) >= 1 and ckpt[1:] == own[1:]
                          and own[0] in (num_classes, num_classes + 1) and len(deltas) == 1)
            if not classifier:
                raise CheckpointMismatchError(
                    f"{key} has shape {tuple(ckpt)} in the checkpoint, {tuple(own)} in the model; only the classifiers "
                    "may differ (fine-tuning with another MODEL.NUM_CLASSES)"
                )
        keys = [key for key, *_ in incompatible.incorrect_shapes]
        self.logger.info(f"Re-initialised for {num_classes} classes (the checkpoint has {num_classes + deltas.pop()}): {', '.join(keys)}")
        return incompatible._replace(incorrect_shapes=[], missing_keys=[k for k in incompatible.missing_keys if k not in keys])

    def _check_same_model(self, state: Dict[str, Any]) -> None:
        """Resuming restores the optimizer too, so the checkpoint must hold exactly this model; name
        the first key that differs instead of failing at the first optimizer step."""
        own = self.model.state_dict()
        state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
        problem = ""
        for key, value in own.items():
            if key.endswith("num_batches_tracked"):
                continue
            if key not in state:
                problem = f"{key} is missing from the checkpoint"
            elif tuple(getattr(state[key], "shape", ())) != tuple(value.shape):
                problem = f"{key} has shape {tuple(state[key].shape)} in the checkpoint, {tuple(value.shape)} in the model"
            if problem:
                break
        if not problem:
            extra = [k for k in state if k not in own]
            problem = f"{extra[0]} is in the checkpoint but not in the model" if extra else ""
        if problem:
            raise CheckpointMismatchError(
                f"cannot resume from {self._resuming_from}: it holds another model ({problem}); "
                "use another OUTPUT_DIR, or start without --resume"
            )

    def _load_file(self, f: str) -> Dict[str, Any]:
        loaded = load_torch_file(f)
        if not isinstance(loaded, dict):
            raise ValueError(f"checkpoint {f} holds a {type(loaded).__name__}, not a dict")
        self._file_was_ours = self._is_ours(loaded)
        if self._file_was_ours:
            return loaded
        if self._file_format:
            return {"model": convert_weights(loaded, self._file_format)}
        return {"model": self._match_backbone(unwrap_state_dict(loaded))}

    def _is_ours(self, loaded: Dict[str, Any]) -> bool:
        """A file with a ``model`` key is a seg_engine checkpoint, loaded as it is: always when resuming, and
        otherwise unless MODEL.WEIGHTS_FORMAT is set explicitly (not implied by a weights name) and its ``model``
        lacks a key of this model. The authors' Swin and ConvNeXt ImageNet files also hold ``{"model": ...}``
        (their backbone's own keys), and so do detectron2-trained files (some of whose keys, e.g. a Swin backbone's,
        may equal ours); our checkpoints hold every key of the model they load into, so evaluating a run whose
        recipe names an ImageNet format keeps loading its own checkpoints unconverted."""
        if "model" not in loaded:
            return False
        if self._resuming_from or not self.weights_format or not isinstance(loaded["model"], dict):
            return True
        keys = {k[len("module."):] if k.startswith("module.") else k for k in loaded["model"]}
        return set(self.model.state_dict()) <= keys

    def _match_backbone(self, state: Dict[str, Any]) -> Dict[str, Any]:
        """Prefix ``backbone.`` when the keys are the backbone's own (weights of a classifier)."""
        own = self.model.state_dict()
        if hasattr(self.model, "backbone") and not any(k in own for k in state):
            prefixed = {f"backbone.{k}": v for k, v in state.items()}
            if any(k in own for k in prefixed):
                return prefixed
        return state
