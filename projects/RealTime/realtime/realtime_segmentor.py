"""RealTimeSegmentor: EncoderDecoder whose auxiliary heads may train by their own losses and resize their logits
to the targets with their own align_corners (STDC's detail head and FCN heads, PIDNet's boundary head)."""
from __future__ import annotations

from typing import Dict, List

import torch

from seg_engine.config import CfgNode
from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder
from seg_engine.modeling.losses import upsample_logits


@META_ARCH_REGISTRY.register()
class RealTimeSegmentor(EncoderDecoder):
    """The composed model (MODEL.HEAD, MODEL.AUX_HEADS, MODEL.LOSS, MODEL.PAD_INPUT) with two differences in
    ``losses``, which the core's one loss for every output cannot say:

    - a head with a ``losses(logits, targets)`` method (BoundaryHead, DetailHead) is trained by those, named
      ``loss_<output>_<name>``, instead of MODEL.LOSS;
    - the logits of auxiliary head k are resized to the targets with MODEL.REALTIME.AUX_ALIGN_CORNERS[k]
      (mmseg's STDC: False for its FCN heads while MODEL.ALIGN_CORNERS is True) before MODEL.LOSS.

    Each loss is multiplied by its head node's LOSS_WEIGHT.
    """

    def build_heads(self, cfg: CfgNode) -> None:
        super().build_heads(cfg)
        self.loss_align_corners = {"sem_seg": self.align_corners}
        aligns = list(cfg.MODEL.REALTIME.AUX_ALIGN_CORNERS) or [self.align_corners] * len(self.aux_outputs)
        if len(aligns) != len(self.aux_outputs):
            raise ValueError(f"MODEL.REALTIME.AUX_ALIGN_CORNERS must be empty or have one entry per MODEL.AUX_HEADS "
                             f"entry ({len(self.aux_outputs)}), got {list(cfg.MODEL.REALTIME.AUX_ALIGN_CORNERS)!r}")
        for (output, module), align in zip(self.aux_outputs.items(), aligns):
            self.loss_align_corners[output] = bool(align)
            head = getattr(self, module)
            if hasattr(head, "losses"):
                head.align_corners = bool(align)

    def head_of(self, output: str) -> torch.nn.Module:
        """The head that predicts ``output``."""
        return self.decode_head if output == "sem_seg" else getattr(self, self.aux_outputs[output])

    def losses(self, outputs: Dict[str, torch.Tensor], targets: torch.Tensor, batched_inputs: List[dict]) -> Dict[str, torch.Tensor]:
        losses = {}
        for output, logits in outputs.items():
            weight, head = self.loss_weights[output], self.head_of(output)
            if hasattr(head, "losses"):
                losses.update({f"loss_{output}_{k}": weight * v for k, v in head.losses(logits, targets).items()})
                continue
            logits = upsample_logits(logits, targets.shape[-2:], self.loss_align_corners[output])
            losses.update(super().losses({output: logits}, targets, batched_inputs))
        return losses
