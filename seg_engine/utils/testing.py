"""Helpers shared by the tests of the core and of the model projects (as detectron2/utils/testing.py):
recipes built on the meta device, random input batches, committed key tables of reference state_dicts run through a
converter, tools/train_net.py run in-process, BatchNorms with random statistics."""
from __future__ import annotations

import importlib.util
import json
import os
from types import ModuleType
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from seg_engine.checkpoint import convert_weights
from seg_engine import config
from seg_engine.config import CfgNode
from seg_engine.modeling import build_model

Shape = Tuple[int, ...]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_config(path: str, *opts: Any) -> CfgNode:
    """:func:`seg_engine.config.load_config` of the recipe at ``path`` (or ``seg_engine://NAME``) with ``opts``
    (key, value, ...; values may be numbers)."""
    return config.load_config(path, opts)


def build_on_meta(cfg: CfgNode) -> nn.Module:
    """The model of ``cfg`` on the meta device: full-size shapes without memory or initialisation."""
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = "meta"
    with torch.device("meta"):
        return build_model(cfg)


def state_shapes(module: nn.Module) -> Dict[str, Shape]:
    """key -> shape of ``module``'s state_dict."""
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def num_params(model: nn.Module, trainable_only: bool = False) -> int:
    """The number of parameters of ``model`` (only those that require grad with ``trainable_only``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def read_key_table(path: str) -> Dict[str, Shape]:
    """key -> shape of a reference's state_dict from a table written once outside the repo: one
    ``name d0,d1,...`` per line (``-`` for a scalar); blank lines and lines starting with ``#`` skipped."""
    shapes: Dict[str, Shape] = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, shape = line.split()
            if key in shapes:
                raise ValueError(f"{path}: {key} listed twice")
            shapes[key] = () if shape == "-" else tuple(int(n) for n in shape.split(","))
    return shapes


def map_key_table(
    table: Mapping[str, Shape],
    converter: str,
    model_shapes: Mapping[str, Shape],
    wrap: Optional[Callable[[Dict[str, torch.Tensor]], Any]] = None,
) -> Dict[str, Optional[str]]:
    """Convert meta tensors of the ``table``'s shapes with ``converter`` (``wrap`` turns the state_dict
    into the file's layout, e.g. ``{"state_dict": ...}``) and check the result against a model's key ->
    shape: the converted keys are exactly the model's, each with the model's shape, and no reference
    tensor lands on two keys. Returns model key -> the reference key it came from, None where the
    converter made a new tensor (e.g. a channel-reversed first conv); the caller asserts which
    reference keys must come through."""
    tensors = {k: torch.empty(s, device="meta") for k, s in table.items()}
    source_of = {id(t): k for k, t in tensors.items()}
    converted = convert_weights(wrap(dict(tensors)) if wrap else dict(tensors), converter)
    assert set(converted) == set(model_shapes), "the converted keys are exactly the model's keys"
    assert {k: (tuple(t.shape), model_shapes[k]) for k, t in converted.items() if tuple(t.shape) != model_shapes[k]} == {}
    mapping = {k: source_of.get(id(t)) for k, t in converted.items()}
    sources = [s for s in mapping.values() if s is not None]
    assert len(set(sources)) == len(sources), "no reference key is mapped twice"
    return mapping


def image_batch(*sizes: Tuple[int, int], with_masks: bool = False, classes: int = 5) -> List[Dict[str, Any]]:
    """A seeded batch of random uint8 images of ``sizes`` (h, w) in the model's input format, with random
    ``sem_seg`` masks of ``classes`` classes when ``with_masks``."""
    g = torch.Generator().manual_seed(0)
    out = []
    for h, w in sizes:
        item = {"image": torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g), "height": h, "width": w}
        if with_masks:
            item["sem_seg"] = torch.randint(0, classes, (h, w), generator=g)
        out.append(item)
    return out


def tiny_schedule(max_iter: int, checkpoint_period: int, crop: Sequence[int] = (65, 65)) -> List[str]:
    """Overrides that train a few iterations of 2 images at ``crop`` (no warm-up, no periodic evaluation,
    every iteration logged, loaded in the main process) and test 20 images at a time."""
    return [
        "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", str(max_iter), "SOLVER.CHECKPOINT_PERIOD", str(checkpoint_period),
        "SOLVER.WARMUP_ITERS", "0", "INPUT.TRAIN.CROP_SIZE", str(tuple(crop)), "DATALOADER.NUM_WORKERS", "0",
        "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1", "TEST.IMS_PER_BATCH", "20",
    ]


def load_tool(tool: str, name: str = "") -> ModuleType:
    """A fresh import of ``tools/<tool>.py`` (a script, not a package module), as module ``name`` (default
    ``tool_<tool>``)."""
    spec = importlib.util.spec_from_file_location(name or f"tool_{tool}", os.path.join(ROOT, "tools", f"{tool}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_train_net(name: str = "train_net_under_test") -> ModuleType:
    """A fresh import of tools/train_net.py."""
    return load_tool("train_net", name)


def run_train_net(args: Sequence[str], plugin: Optional[str] = None) -> Any:
    """tools/train_net.py's main on ``args`` (after ``--plugin plugin`` when given), in this process."""
    train_net = load_train_net()
    prefix = ["--plugin", plugin] if plugin else []
    return train_net.main(train_net.default_argument_parser().parse_args([*prefix, *args]))


def train_then_eval_only(
    config_file: str, opts: Sequence[str], output_root: str, iterations: int, plugin: Optional[str] = None
) -> List[Dict[str, Any]]:
    """Train ``config_file`` with ``opts`` through tools/train_net.py into ``output_root/train``, then
    evaluate its model_final.pth with --eval-only into ``output_root/eval``.

    Checks what every such test checks: the run writes model_final.pth, metrics.json and config.yaml,
    logs iterations 0 .. ``iterations`` - 1, its final mIoU is in [0, 100], and --eval-only gives the
    same metrics. Returns the logged training rows (those with total_loss) for the caller's loss checks.
    """
    import pytest  # only the tests need it

    out = os.path.join(str(output_root), "train")
    results = run_train_net(["--config-file", config_file, *opts, "OUTPUT_DIR", out], plugin)
    assert {"model_final.pth", "metrics.json", "config.yaml"} <= set(os.listdir(out))
    with open(os.path.join(out, "metrics.json")) as f:
        rows = [json.loads(line) for line in f]
    iters = [r for r in rows if "total_loss" in r]
    assert [r["iteration"] for r in iters] == list(range(iterations))
    assert 0 <= results["sem_seg"]["mIoU"] <= 100

    again = run_train_net(["--config-file", config_file, "--eval-only", *opts, "OUTPUT_DIR", os.path.join(str(output_root), "eval"),
                           "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")], plugin)
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)
    return iters


def randomize_batchnorm(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm of ``model`` random statistics and affine weights (mean ~ N(0, 0.1),
    var and weight ~ U(0.5, 1.5), bias ~ N(0, 0.1)), so that a mis-mapped norm shows in a parity check.
    Returns ``model``."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
    return model
