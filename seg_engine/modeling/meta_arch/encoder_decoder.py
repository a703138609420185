"""EncoderDecoder: backbone -> optional neck -> decode head (+ auxiliary heads), the model every config composes."""
from __future__ import annotations

from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone.backbone import ShapeSpec
from ..build import build_backbone
from ..heads import aux_head_names, build_head
from ..losses import build_losses, upsample_logits
from ..necks import build_neck
from ..registry import META_ARCH_REGISTRY
from .inference import InferenceProtocol, protocol_scores


@META_ARCH_REGISTRY.register()
class EncoderDecoder(nn.Module):
    """MODEL.BACKBONE -> MODEL.NECK (optional) -> MODEL.HEAD, plus the auxiliary heads MODEL.AUX_HEADS lists, each
    part chosen by name from its registry. Takes the loader's list of dicts; pads and normalizes on its own device.

    Training returns ``{"loss_sem_seg": ..., "loss_aux": ...}`` (weighted; one term per loss, e.g.
    ``loss_sem_seg_dice``, when MODEL.LOSS.NAMES lists several); inference returns
    ``[{"sem_seg": C x H x W scores}]`` at each image's original ``height`` x ``width``: the logits of
    a single whole-image pass, or the aggregate of the TEST.* protocol (sliding window, scales, flip;
    see :mod:`.inference`). With MODEL.PAD_INPUT the network takes any size (padded inside, cropped back).
    Subclasses exist only where behaviour differs: they override ``build_heads``, ``decode``, ``segment`` or
    ``losses``.
    """

    def __init__(self, cfg) -> None:
        super().__init__()
        self.num_classes = cfg.MODEL.NUM_CLASSES
        self.ignore_value = cfg.MODEL.IGNORE_VALUE
        self.align_corners = cfg.MODEL.ALIGN_CORNERS
        self.size_divisibility = cfg.MODEL.SIZE_DIVISIBILITY
        # MODEL.CHANNELS_LAST: the network's input in the channels-last memory format (build_model converts the weights).
        self.memory_format = torch.channels_last if cfg.MODEL.CHANNELS_LAST else torch.contiguous_format
        self.register_buffer("pixel_mean", torch.tensor(cfg.MODEL.PIXEL_MEAN).view(-1, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(cfg.MODEL.PIXEL_STD).view(-1, 1, 1), False)
        # MODEL.LOSS: the losses (LOSS_REGISTRY) every output is trained with, each times its weight.
        self.pixel_losses = build_losses(cfg)
        self.test_protocol = InferenceProtocol.from_config(cfg)
        self.backbone = build_backbone(cfg)
        self.neck_name = ""
        neck = build_neck(cfg, self.backbone.output_shape())
        if neck is not None:
            # A neck's keys are "neck.*", or the name it was published under (the U-shaped decoders: "decoder").
            self.neck_name = getattr(neck, "module_name", "neck")
            self._modules[self.neck_name] = neck  # add_module refuses "neck", the name of the property below
        self.input_multiple = 1
        if cfg.MODEL.PAD_INPUT:
            self.input_multiple = max(s.stride for s in self.backbone.output_shape().values())
        self.build_heads(cfg)

    @property
    def neck(self) -> Optional[nn.Module]:
        return self._modules[self.neck_name] if self.neck_name else None

    def head_input_shape(self) -> Dict[str, ShapeSpec]:
        """The shapes of the features the heads read: the neck's outputs, else the backbone's."""
        return self.neck.output_shape() if self.neck is not None else self.backbone.output_shape()

    def build_heads(self, cfg) -> None:
        """The decode head MODEL.HEAD (output "sem_seg") and each auxiliary head MODEL.AUX_HEADS names (node
        AUX_HEAD: module ``aux_head``, output "aux"), with the loss weight of each output."""
        shape = self.head_input_shape()
        self.decode_head = build_head(cfg, cfg.MODEL.HEAD, shape)
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
        self.aux_outputs: Dict[str, str] = {}  # output name -> module name
        for node in aux_head_names(cfg):
            module, output = node.lower(), node.lower().replace("_head", "")
            self.add_module(module, build_head(cfg, cfg.MODEL[node], shape, key=f"MODEL.{node}"))
            self.aux_outputs[output] = module
            self.loss_weights[output] = cfg.MODEL[node].LOSS_WEIGHT

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    def extract_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The maps the heads read: the backbone's, through the neck when there is one (a neck that sets
        ``needs_input_size`` also gets the network input's size)."""
        features = self.backbone(images)
        neck = self.neck
        if neck is None:
            return features
        return neck(features, images.shape[-2:]) if getattr(neck, "needs_input_size", False) else neck(features)

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Logits by name at their heads' resolution: "sem_seg" always, each auxiliary output in training."""
        out = {"sem_seg": self.decode_head(features)}
        if self.training:
            for output, module in self.aux_outputs.items():
                out[output] = getattr(self, module)(features)
        return out

    def segment(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The logits by name of a normalized, padded batch. With MODEL.PAD_INPUT the batch is padded to the
        model's multiple first and every output is brought to the padded size and cropped to the batch's."""
        if self.input_multiple == 1:
            return self.decode(self.extract_features(images))
        h, w = images.shape[-2:]
        m = self.input_multiple
        padded = F.pad(images, (0, -w % m, 0, -h % m))
        outputs = self.decode(self.extract_features(padded))
        return {name: upsample_logits(logits, padded.shape[-2:], self.align_corners)[..., :h, :w]
                for name, logits in outputs.items()}

    def losses(self, outputs: Dict[str, torch.Tensor], targets: torch.Tensor, batched_inputs: List[dict]) -> Dict[str, torch.Tensor]:
        """The losses of MODEL.LOSS of every output, times the output's loss weight: ``loss_<output>`` with one
        loss in MODEL.LOSS.NAMES, else one term per loss, ``loss_<output>_<loss>`` (e.g. ``loss_sem_seg_dice``)."""
        losses = {}
        for output, logits in outputs.items():
            terms = self.pixel_losses(logits, targets)
            if len(terms) == 1:
                losses[f"loss_{output}"] = self.loss_weights[output] * next(iter(terms.values()))
            else:
                losses.update({f"loss_{output}_{name}": self.loss_weights[output] * term
                               for name, term in terms.items()})
        return losses

    def pixel_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The weighted sum of MODEL.LOSS's losses of one output against the targets."""
        return sum(self.pixel_losses(logits, targets).values())

    def forward(self, batched_inputs: List[dict]):
        images, sizes = self.preprocess_images(batched_inputs)
        if self.training:
            logits = self.segment(images)
            return self.losses(logits, self.preprocess_targets(batched_inputs, images.shape[-2:]), batched_inputs)
        if self.test_protocol.single_pass:
            logits = self.segment(images)["sem_seg"]
            return self.postprocess(logits, images.shape[-2:], sizes, batched_inputs)
        results = []
        for i, (x, (h, w)) in enumerate(zip(batched_inputs, sizes)):
            scores = protocol_scores(self.predict_logits, images[i : i + 1, :, :h, :w], self.test_protocol)
            results.append({"sem_seg": self._to_original_size(scores, x)[0]})
        return results

    def predict_logits(self, images: torch.Tensor) -> torch.Tensor:
        """Logits at the size of normalized N x 3 x h x w ``images`` (padded to SIZE_DIVISIBILITY on the way)."""
        h, w = images.shape[-2:]
        ph, pw = self._padded_size([(h, w)])
        if (ph, pw) != (h, w):
            images = F.pad(images, (0, pw - w, 0, ph - h))
        logits = self.segment(images.contiguous(memory_format=self.memory_format))["sem_seg"]
        return upsample_logits(logits, (ph, pw), self.align_corners)[:, :, :h, :w]

    def _padded_size(self, sizes: List[tuple]) -> tuple:
        h = max(s[0] for s in sizes)
        w = max(s[1] for s in sizes)
        d = self.size_divisibility
        if d > 1:
            h, w = (h + d - 1) // d * d, (w + d - 1) // d * d
        return h, w

    def preprocess_images(self, batched_inputs: List[dict]):
        """uint8 images to the device, then normalize and pad bottom/right with 0 (the mean) there."""
        sizes = [tuple(x["image"].shape[-2:]) for x in batched_inputs]
        h, w = self._padded_size(sizes)
        batch = torch.zeros(len(batched_inputs), 3, h, w, device=self.device)
        for i, x in enumerate(batched_inputs):
            img = x["image"].to(self.device, non_blocking=True)
            batch[i, :, : img.shape[-2], : img.shape[-1]] = (img.float() - self.pixel_mean) / self.pixel_std
        return batch.contiguous(memory_format=self.memory_format), sizes

    def preprocess_targets(self, batched_inputs: List[dict], size) -> torch.Tensor:
        """Masks padded with the ignore value to the image batch's size."""
        targets = torch.full((len(batched_inputs), *size), self.ignore_value, dtype=torch.long, device=self.device)
        for i, x in enumerate(batched_inputs):
            seg = x["sem_seg"].to(self.device, non_blocking=True)
            targets[i, : seg.shape[-2], : seg.shape[-1]] = seg
        return targets

    def postprocess(self, logits: torch.Tensor, padded_size, sizes: List[tuple], batched_inputs: List[dict]) -> List[dict]:
        """Logits to the padded input size, crop each image's region, resize to its original size."""
        logits = upsample_logits(logits, padded_size, self.align_corners)
        return [
            {"sem_seg": self._to_original_size(logits[i : i + 1, :, :h, :w], x)[0]}
            for i, (x, (h, w)) in enumerate(zip(batched_inputs, sizes))
        ]

    def _to_original_size(self, scores: torch.Tensor, batched_input: dict) -> torch.Tensor:
        """1 x C x h x w scores resized (bilinear) to the input's ``height`` x ``width`` when given."""
        h, w = scores.shape[-2:]
        size = (batched_input.get("height", h), batched_input.get("width", w))
        if (h, w) == size:
            return scores
        return F.interpolate(scores, size=size, mode="bilinear", align_corners=self.align_corners)
