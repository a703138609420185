"""Mask2Former (Cheng et al., "Masked-attention Mask Transformer for Universal Image Segmentation", CVPR 2022)
for semantic segmentation: a mask-classification model on EncoderDecoder's preprocessing and protocols."""
from __future__ import annotations

import dataclasses
from typing import Dict, List

import torch
import torch.nn.functional as F

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder, build_head
from seg_engine.modeling.meta_arch.inference import InferenceProtocol, protocol_scores

from .criterion import SetCriterion
from .pixel_decoder import MSDeformAttnPixelDecoder

VIEW_AGGREGATES = ("scores", "prob")


def semantic_scores(pred_logits: torch.Tensor, pred_masks: torch.Tensor, size) -> torch.Tensor:
    """N x C x H x W scores: the mask logits resized (bilinear) to ``size``, then per class the sum over
    queries of P(class | query) (softmax without "no object") times sigmoid(mask): detectron2's
    semantic inference."""
    masks = F.interpolate(pred_masks, size=size, mode="bilinear", align_corners=False)
    probs = pred_logits.softmax(-1)[..., :-1]
    return torch.einsum("bqc,bqhw->bchw", probs, masks.sigmoid())


def mean_view_scores(predict, images: torch.Tensor, protocol: InferenceProtocol) -> torch.Tensor:
    """The mean of the scores of every scale and flip view (each window-averaged as ``protocol.mode``
    says), resized back to the images' size: the authors' test-time augmentation."""
    h, w = images.shape[-2:]
    one_view = dataclasses.replace(protocol, scales=(1.0,), flip=False)
    total, count = None, 0
    for scale in protocol.scales:
        size = (max(1, int(h * scale + 0.5)), max(1, int(w * scale + 0.5)))
        scaled = images if size == (h, w) else F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        for flip in (False, True) if protocol.flip else (False,):
            view = protocol_scores(predict, scaled.flip(-1) if flip else scaled, one_view)
            view = view.flip(-1) if flip else view
            if size != (h, w):
                view = F.interpolate(view, size=(h, w), mode="bilinear", align_corners=protocol.align_corners)
            total = view if total is None else total + view
            count += 1
    return total / count


@META_ARCH_REGISTRY.register()
class Mask2Former(EncoderDecoder):
    """Backbone -> MSDeformAttnPixelDecoder (MODEL.NECK.NAME, reading MODEL.PIXEL_DECODER) ->
    MaskedAttentionHead (MODEL.HEAD.NAME, reading MODEL.MASK_FORMER) -> set-prediction loss.

    ``segment`` returns, in training, the decoder's predictions (for the loss) and in inference
    ``{"sem_seg": N x C x H x W semantic scores}`` at the input's size, so EncoderDecoder's whole /
    sliding-window inference and postprocessing (crop, resize to the original size) apply unchanged.
    The scores are in [0, 1] but are no probabilities (they need not sum to 1). Scales and flips combine
    as MODEL.MASK_FORMER.VIEW_AGGREGATE says: the mean of the scores (the authors') or of their softmax.
    """

    def build_heads(self, cfg) -> None:
        if cfg.MODEL.HEAD.NAME != "MaskedAttentionHead":
            raise ValueError(
                f"Mask2Former decodes with the masked-attention decoder: set MODEL.HEAD.NAME to "
                f"MaskedAttentionHead (got {cfg.MODEL.HEAD.NAME!r})"
            )
        if not isinstance(self.neck, MSDeformAttnPixelDecoder):
            raise ValueError(f"Mask2Former reads the deformable pixel decoder: set MODEL.NECK.NAME to "
                             f"MSDeformAttnPixelDecoder (got {cfg.MODEL.NECK.NAME!r})")
        if self.input_multiple != 1:
            raise ValueError("Mask2Former pads its batches to MODEL.SIZE_DIVISIBILITY (its masks and targets at the "
                             "padded size): set MODEL.PAD_INPUT False")
        if list(cfg.MODEL.AUX_HEADS):
            raise ValueError("Mask2Former has no auxiliary head (its decoder is deeply supervised): "
                             f"set MODEL.AUX_HEADS [] (got {list(cfg.MODEL.AUX_HEADS)})")
        aggregate = cfg.MODEL.MASK_FORMER.VIEW_AGGREGATE
        if aggregate not in VIEW_AGGREGATES:
            raise ValueError(f"MODEL.MASK_FORMER.VIEW_AGGREGATE must be one of {VIEW_AGGREGATES}, got {aggregate!r}")
        self.view_aggregate = aggregate
        self.decode_head = build_head(cfg, cfg.MODEL.HEAD, self.head_input_shape())
        self.criterion = SetCriterion(**SetCriterion.from_config(cfg))

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, object]:
        """The decoder's predictions from the pixel decoder's maps (the losses' and the scores' input)."""
        return self.decode_head(features)

    def segment(self, images: torch.Tensor) -> Dict[str, object]:
        outputs = self.decode(self.extract_features(images))
        if self.training:
            return outputs
        return {"sem_seg": semantic_scores(outputs["pred_logits"], outputs["pred_masks"], images.shape[-2:])}

    def losses(self, outputs: Dict[str, object], targets: torch.Tensor, batched_inputs: List[dict]) -> Dict[str, torch.Tensor]:
        return self.criterion(outputs, self.mask_targets(targets))

    def mask_targets(self, targets: torch.Tensor) -> List[dict]:
        """Per image: the classes present (ignored pixels left out) and one binary mask per class, over
        the padded batch (ignored and padded pixels are 0 in every mask, as in the authors' mapper)."""
        result = []
        for target in targets:
            labels = torch.unique(target)
            labels = labels[labels != self.ignore_value]
            result.append({"labels": labels, "masks": (target[None] == labels[:, None, None]).to(torch.uint8)})
        return result

    def forward(self, batched_inputs: List[dict]):
        if self.training or self.test_protocol.single_pass or self.view_aggregate == "prob":
            return super().forward(batched_inputs)
        images, sizes = self.preprocess_images(batched_inputs)
        results = []
        for i, (x, (h, w)) in enumerate(zip(batched_inputs, sizes)):
            scores = mean_view_scores(self.predict_logits, images[i : i + 1, :, :h, :w], self.test_protocol)
            results.append({"sem_seg": self._to_original_size(scores, x)[0]})
        return results
