"""RealTimeSegmentor: EncoderDecoder with several auxiliary heads, OHEM, heads with their own losses and
any input size, until the core composes these from config (MODEL.AUX_HEADS, MODEL.LOSS.NAMES)."""
from __future__ import annotations

from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import HEAD_REGISTRY, META_ARCH_REGISTRY, EncoderDecoder, ShapeSpec
from seg_engine.modeling.losses import sem_seg_cross_entropy, upsample_logits

from .config import EXTRA_AUX_HEAD_NODES
from .losses import OHEM_MODES, ohem_cross_entropy, ohem_pixel_weights, weighted_cross_entropy
from .parts import in_features

AUX_NODES = ("AUX_HEAD",) + EXTRA_AUX_HEAD_NODES


def build_head_node(cfg: CfgNode, key: str, node: CfgNode, shapes: Dict[str, ShapeSpec]) -> nn.Module:
    """The head ``node`` (config key ``key``) names, reading backbone features that exist. Nodes with
    IN_FEATURES are given IN_FEATURE too, so today's heads (the core FCNHead) read them."""
    names = in_features(node)
    missing = [f for f in names if f not in shapes]
    if not names or missing:
        raise ValueError(f"{key} ({node.NAME}) must name backbone features among {sorted(shapes)}, got {names!r}")
    if "IN_FEATURES" in node:
        node = node.clone()
        node.defrost()
        node.IN_FEATURE = names[0]
    return HEAD_REGISTRY.get(node.NAME)(cfg, node, shapes)


@META_ARCH_REGISTRY.register()
class RealTimeSegmentor(EncoderDecoder):
    """Backbone -> MODEL.HEAD ("sem_seg") + the auxiliary heads of MODEL.REALTIME.AUX_HEADS (node AUX_HEAD<k>:
    module ``aux_head<k>``, output and loss ``aux<k>``, training only).

    Losses: a head with a ``losses(logits, targets)`` method (BoundaryHead, DetailHead) gives its own, named
    ``loss_<output>_<name>``; the others get the cross-entropy of MODEL.LOSS, with MODEL.REALTIME.OHEM where
    named. Each loss is multiplied by its node's LOSS_WEIGHT.

    Any size: a backbone with a ``size_divisibility`` above 1 (DDRNet, PIDNet: 8) gets its input padded at the
    bottom and right with zeros (the normalized mean) to that multiple; every output is then enlarged to the
    padded size and cropped to the input's, so padded pixels are never predicted and never count in a loss.
    """

    def build_heads(self, cfg: CfgNode) -> None:
        rt = cfg.MODEL.REALTIME
        shapes = self.head_input_shape()
        self.decode_head = build_head_node(cfg, "MODEL.HEAD", cfg.MODEL.HEAD, shapes)
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
        self.loss_align_corners = {"sem_seg": self.align_corners}
        nodes = list(rt.AUX_HEADS)
        unknown = [n for n in nodes if n not in AUX_NODES]
        if unknown or len(set(nodes)) != len(nodes):
            raise ValueError(f"MODEL.REALTIME.AUX_HEADS must name distinct nodes among {AUX_NODES}, got {nodes!r}")
        if cfg.MODEL.AUX_HEAD.ENABLED != ("AUX_HEAD" in nodes):
            raise ValueError("MODEL.AUX_HEAD.ENABLED must be True exactly when MODEL.REALTIME.AUX_HEADS lists AUX_HEAD "
                             f"(got {cfg.MODEL.AUX_HEAD.ENABLED} and {nodes!r})")
        aligns = list(rt.AUX_ALIGN_CORNERS) or [self.align_corners] * len(nodes)
        if len(aligns) != len(nodes):
            raise ValueError(f"MODEL.REALTIME.AUX_ALIGN_CORNERS must be empty or have one entry per AUX_HEADS entry "
                             f"({len(nodes)}), got {list(rt.AUX_ALIGN_CORNERS)!r}")
        self.aux_head = None
        self.aux_outputs: List[Tuple[str, str]] = []  # (output, module attribute)
        for name, align in zip(nodes, aligns):
            node = getattr(cfg.MODEL, name)
            module, output = name.lower(), name.lower().replace("_head", "")
            head = build_head_node(cfg, f"MODEL.{name}", node, shapes)
            if hasattr(head, "losses"):
                head.align_corners = bool(align)
            setattr(self, module, head)
            self.aux_outputs.append((output, module))
            self.loss_weights[output] = node.LOSS_WEIGHT
            self.loss_align_corners[output] = bool(align)
        if rt.OHEM.MODE not in OHEM_MODES:
            raise ValueError(f"MODEL.REALTIME.OHEM.MODE must be one of {OHEM_MODES}, got {rt.OHEM.MODE!r}")
        unknown = sorted(set(rt.OHEM.OUTPUTS) - set(self.loss_weights))
        if rt.OHEM.MODE and unknown:
            raise ValueError(f"MODEL.REALTIME.OHEM.OUTPUTS names outputs the model does not have: {unknown} "
                             f"(it has {sorted(self.loss_weights)})")
        self.ohem_mode, self.ohem_outputs = rt.OHEM.MODE, set(rt.OHEM.OUTPUTS)
        self.ohem_thresh, self.ohem_min_kept = rt.OHEM.THRESH, rt.OHEM.MIN_KEPT
        self.input_multiple = int(getattr(self.backbone, "size_divisibility", 1))

    def head_of(self, output: str) -> nn.Module:
        """The head that predicts ``output``."""
        return self.decode_head if output == "sem_seg" else getattr(self, dict(self.aux_outputs)[output])

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        if self.neck is not None:
            features = self.neck(features)
        out = {"sem_seg": self.decode_head(features)}
        if self.training:
            for output, module in self.aux_outputs:
                out[output] = getattr(self, module)(features)
        return out

    def segment(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        m = self.input_multiple
        if m <= 1:
            return self.decode(self.backbone(images))
        h, w = images.shape[-2:]
        padded = F.pad(images, (0, (-w) % m, 0, (-h) % m))
        outputs = self.decode(self.backbone(padded))
        size = padded.shape[-2:]
        return {name: upsample_logits(logits, size, self.loss_align_corners[name])[..., :h, :w]
                for name, logits in outputs.items()}

    def losses(self, outputs: Dict[str, torch.Tensor], targets: torch.Tensor, batched_inputs: List[dict]) -> Dict[str, torch.Tensor]:
        losses = {}
        for name, logits in outputs.items():
            weight, head = self.loss_weights[name], self.head_of(name)
            if hasattr(head, "losses"):
                losses.update({f"loss_{name}_{k}": weight * v for k, v in head.losses(logits, targets).items()})
            else:
                losses[f"loss_{name}"] = weight * self.seg_loss(name, logits, targets)
        return losses

    def seg_loss(self, output: str, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The cross-entropy of ``output``'s logits (resized to the targets with its align_corners), with OHEM
        when MODEL.REALTIME.OHEM names it."""
        align = self.loss_align_corners[output]
        mode = self.ohem_mode if output in self.ohem_outputs else ""
        if not mode:
            return sem_seg_cross_entropy(logits, targets, self.ignore_value, align, self.class_weights, self.loss_average)
        logits = upsample_logits(logits, targets.shape[-2:], align)
        if mode == "loss":
            return ohem_cross_entropy(logits, targets, self.ignore_value, self.ohem_thresh, self.ohem_min_kept,
                                      self.class_weights)
        keep = ohem_pixel_weights(logits, targets, self.ignore_value, self.ohem_thresh, self.ohem_min_kept)
        return weighted_cross_entropy(logits, targets, self.ignore_value, self.class_weights, self.loss_average, keep)
