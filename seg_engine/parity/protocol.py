"""The parity protocol, the same for every converter: a reference with random weights, saved in its own layout,
loaded as a user loads it, and the two models' outputs compared on the same images.

1. The reference is built with its own random initialisation, then its norms get random statistics and affines, its
   zero biases random values, and every convolution, linear layer and attention projection is rescaled to unit output
   variance on one batch (:mod:`.randomize`).
2. Its weights are saved as the reference saves them (``ParityReference.checkpoint``).
3. Our model is built from the converter's recipe and loads the file through ``MODEL.WEIGHTS`` and
   ``MODEL.WEIGHTS_FORMAT`` (the Checkpointer, as ``--eval-only`` and training do); separately the file is converted
   offline with ``tools/convert_weights.py`` and loaded with ``MODEL.WEIGHTS`` alone, which must give the same output.
4. At each size (one odd) the same raw images go through both, each with its own preprocessing: max |diff|, the
   largest |logit|, their ratio and the argmax agreement (:func:`~.measure.logits_difference`); the check passes
   within LOGIT_TOLERANCE of the largest logit and MIN_ARGMAX_AGREEMENT of the argmax, every key of our model
   (within the entry's scope) given by the file and no key left over.

The negative control swaps two output channels of one of the reference's convolutions (the middle one the forward
runs) after its logits are taken and before it is saved: the check must then fail.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import nn

from ..checkpoint import Checkpointer, convert_weights, load_torch_file
from ..config import load_config
from ..modeling import build_model
from .measure import LOGIT_TOLERANCE, MIN_ARGMAX_AGREEMENT, logits_difference, within
from .randomize import randomize_norms_and_biases, unit_variance_layers
from .reference import ParityReference, Size

BATCH = 2  # images per size: a batch of two also shows an error that mixes images


def random_images(sizes: Sequence[Size], seed: int) -> Dict[Size, torch.Tensor]:
    """A batch of BATCH random RGB images (integers 0..255 as floats) per size, seeded."""
    generator = torch.Generator().manual_seed(seed)
    return {tuple(s): torch.randint(0, 256, (BATCH, 3, *s), generator=generator).float() for s in sizes}


def reference_logits(entry: ParityReference, reference: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The reference's output; its own refusal of a size (an assertion) becomes a one-line ValueError."""
    try:
        with torch.no_grad():
            return entry.logits(reference, images)
    except AssertionError as e:
        raise ValueError(f"{entry.name}: the reference refuses {images.shape[-2]}x{images.shape[-1]} inputs "
                         f"({e or 'an assertion of its forward'}); choose --sizes it accepts "
                         f"(its defaults: {format_sizes(entry.sizes)})") from e


def swap_two_channels(reference: nn.Module, layers: List[str]) -> str:
    """The negative control: output channels 0 and 1 of the middle layer that ran (with at least two) swapped in
    place. Returns its weight's name."""
    candidates = [name for name in layers if isinstance(getattr(reference.get_submodule(name), "weight", None),
                                                         torch.Tensor) and reference.get_submodule(name).weight.shape[0] >= 2]
    if not candidates:
        raise ValueError("the negative control found no layer with two output channels in the reference's forward")
    name = candidates[len(candidates) // 2]
    module = reference.get_submodule(name)
    with torch.no_grad():
        for tensor in (module.weight, module.bias):
            if tensor is not None:
                tensor[[0, 1]] = tensor[[1, 0]].clone()
    return f"{name}.weight"


def our_model(recipe: str, opts: Sequence[Any], weights: str, weights_format: str, scope: str) -> nn.Module:
    """Our model of ``recipe`` with ``weights`` loaded as a user loads them: the whole model as ``--eval-only`` does
    (every key needed), or, for a part's layout (``scope``), as training from those weights does."""
    cfg = load_config(recipe, [*opts, "MODEL.DEVICE", "cpu"], weights=weights)
    cfg.MODEL.WEIGHTS_FORMAT = weights_format
    model = build_model(cfg).eval()
    checkpointer = Checkpointer(model, weights_format=cfg.MODEL.WEIGHTS_FORMAT)
    if scope:  # the keys it does not give are reported by key_accounting, not logged
        level = checkpointer.logger.level
        checkpointer.logger.setLevel(logging.ERROR)
        try:
            checkpointer.resume_or_load(cfg.MODEL.WEIGHTS, resume=False)
        finally:
            checkpointer.logger.setLevel(level)
    else:
        checkpointer.load_for_inference(cfg.MODEL.WEIGHTS)
    return model


def key_accounting(converted: Dict[str, Any], model: nn.Module, scope: str = "") -> Dict[str, Any]:
    """What a converted state dict gives our model: keys of the scope (those starting with ``scope``) it lacks
    (BatchNorm's ``num_batches_tracked`` aside), keys our model has not, keys of another shape."""
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    wanted = [k for k in own if k.startswith(scope)]
    return {"file_tensors_converted": len(converted), "our_keys_in_scope": len(wanted),
            "missing": sorted(k for k in set(wanted) - set(converted) if not k.endswith("num_batches_tracked")), "unexpected": sorted(set(converted) - set(own)),
            "other_shape": sorted(k for k in set(converted) & set(own) if tuple(converted[k].shape) != own[k])}


def convert_offline(convert_tool: str, path: str, converter: str, output: str) -> None:
    """``tools/convert_weights.py --format converter path output``, run in this process."""
    spec = importlib.util.spec_from_file_location("convert_weights_tool", convert_tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if module.main(["--format", converter, path, output]) != 0:
        raise RuntimeError(f"{convert_tool} failed on {path}")


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def format_sizes(sizes: Sequence[Size]) -> str:
    return ",".join(f"{h}x{w}" for h, w in sizes)



def check_parity(entry: ParityReference, root: Optional[str] = None, sizes: Optional[Sequence[Size]] = None,
                 negative: bool = False, seed: int = 0, convert_tool: Optional[str] = None,
                 extra_opts: Sequence[Any] = ()) -> Dict[str, Any]:
    """Run the protocol (module docstring) for ``entry``; returns the report, whose ``passed`` says the verdict.

    ``root``: the checkout (or the folder holding it) of a reference from a repository. ``convert_tool``: the path of
    tools/convert_weights.py for the offline path (skipped, and said so, when None). ``extra_opts``: KEY VALUE pairs
    added to our config after the entry's (the report shows them). Raises MissingReference when the
    reference is not there, ValueError when the entry cannot run or the reference refuses a size.
    """
    if not entry.runnable:
        raise ValueError(f"{entry.name}: no reference runs on a machine (checked against {entry.checked_against})")
    folder = entry.requires.resolve(root, entry.name)
    recipe, opts = entry.recipe_and_opts()
    opts = [*opts, *extra_opts]
    if not recipe:
        raise ValueError(f"{entry.name}: neither the layout {entry.converter!r} nor the entry names a recipe")
    sizes = [tuple(s) for s in (sizes or entry.sizes)]
    images = random_images(sizes, seed)

    torch.manual_seed(seed)
    reference = entry.build(folder)
    reference.eval()  # not chained: some references' train() returns None
    randomize_norms_and_biases(reference, seed)
    layers = unit_variance_layers(reference, lambda: reference_logits(entry, reference, images[sizes[0]]))
    expected = {size: reference_logits(entry, reference, images[size]) for size in sizes}
    report: Dict[str, Any] = {
        "name": entry.name, "converter": entry.converter, "reference": entry.reference,
        "reference_versions": entry.requires.versions(folder), "recipe": recipe, "opts": [str(o) for o in opts],
        "compared": entry.compared, "seed": seed, "images_per_size": BATCH,
        "tolerance": {"relative": LOGIT_TOLERANCE, "argmax_agreement": MIN_ARGMAX_AGREEMENT},
        "rescaled_layers": len(layers), "negative_control": None,
    }
    if negative:
        report["negative_control"] = f"output channels 0 and 1 of {swap_two_channels(reference, layers)} swapped"

    with tempfile.TemporaryDirectory(prefix="check_parity_") as tmp:
        path = os.path.join(tmp, "reference.pth")
        torch.save(entry.checkpoint(reference), path)
        report["parameters"] = {"reference": parameters(reference)}
        del reference
        try:
            model = our_model(recipe, opts, path, entry.converter, entry.scope)
        except (KeyError, RuntimeError) as e:  # the converter refused the file, or it does not cover our model
            message = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
            return {**report, "passed": False, "error": f"loading the reference's file failed: {message}"}
        report["parameters"]["ours"] = sum(p.numel() for k, p in model.named_parameters() if k.startswith(entry.scope))
        keys = key_accounting(convert_weights(load_torch_file(path), entry.converter), model, entry.scope)
        report["keys"] = keys
        offline = None
        if convert_tool and not negative:
            converted = os.path.join(tmp, "converted.pth")
            convert_offline(convert_tool, path, entry.converter, converted)
            offline = our_model(recipe, opts, converted, "", entry.scope)
        results = []
        with torch.no_grad():
            for size in sizes:
                ours = entry.ours(model, images[size])
                if ours.shape != expected[size].shape:
                    row = {"size": list(size), "error": f"our output has shape {tuple(ours.shape)}, the reference's "
                                                        f"{tuple(expected[size].shape)}"}
                else:
                    row = {"size": list(size), **logits_difference(ours, expected[size])}
                    row["passed"] = within(row)
                if offline is not None:
                    row["offline_max_abs_diff"] = float((entry.ours(offline, images[size]) - ours).abs().max())
                results.append(row)
    report["sizes"] = results
    report["offline"] = "tools/convert_weights.py, then MODEL.WEIGHTS alone" if offline is not None else "not run"
    keys_ok = not (keys["missing"] or keys["unexpected"] or keys["other_shape"])
    offline_ok = all(row.get("offline_max_abs_diff", 0.0) == 0.0 for row in results)
    report["passed"] = keys_ok and offline_ok and all(row.get("passed", False) for row in results)
    return report
