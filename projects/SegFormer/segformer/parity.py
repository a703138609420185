"""The references SegFormer's converters are checked against (``tools/check_parity.py NAME``), all MiT-B0 with 150
classes: transformers' SegformerForSemanticSegmentation and SegformerForImageClassification, mmsegmentation's
segformer_mit-b0 and its MixVisionTransformer, the authors' mit_b0 and SegFormerHead from a checkout of
NVlabs/SegFormer, and segmentation_models_pytorch's Segformer. The MiT layouts are checked as backbones (our res5
against the reference's last stage)."""
from __future__ import annotations

import os
import sys
import tempfile
import types
from typing import Any, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.parity import ParityReference, Requirement, backbone_output, register_parity_reference
from seg_engine.parity.adapters import normalized, resized
from seg_engine.parity.checkout import DecoratorRegistry, Unavailable, module_from_file, module_of, modules_in_place
from seg_engine.parity.mmseg import INSTALL as MMSEG_INSTALL
from seg_engine.parity.mmseg import import_mmseg, mmseg_model_config, mmseg_reference, quiet_init_weights
from seg_engine.parity.smp import smp_reference

CLASSES = 150
B0_WIDTHS = (32, 64, 160, 256)
B0 = "segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py"
NVLABS = Requirement(repository="NVlabs/SegFormer", marker="mmseg/models/backbones/mix_transformer.py")
TRANSFORMERS = Requirement(modules=("transformers", "safetensors"), install="pip install transformers")
AS_BACKBONE = dict(scope="backbone.", ours=backbone_output("res5"), opts=["MODEL.NUM_CLASSES", CLASSES],
                   compared="our backbone's res5 against the reference's last stage")


def hub_file(model: nn.Module) -> Dict[str, torch.Tensor]:
    """What ``save_pretrained`` writes (the hub's model.safetensors; transformers 5 renames its keys back)."""
    from safetensors.torch import load_file

    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        return load_file(os.path.join(folder, "model.safetensors"))


def hf_segformer(_root: Optional[str]) -> nn.Module:
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    return SegformerForSemanticSegmentation(SegformerConfig(num_labels=CLASSES))


def hf_segformer_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Its 1/4 logits up-sampled as its image processor's post_process_semantic_segmentation does."""
    return resized(model(pixel_values=normalized(images)).logits, images.shape[-2:], align_corners=False)


def hf_mit(_root: Optional[str]) -> nn.Module:
    from transformers import SegformerConfig, SegformerForImageClassification

    return SegformerForImageClassification(SegformerConfig(num_labels=1000, reshape_last_stage=False))


def hf_mit_last_stage(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The fourth stage's map (its tokens reshaped: the classifier's config keeps the last stage as tokens)."""
    states = model.segformer(normalized(images), output_hidden_states=True).hidden_states
    last = states[3]
    if last.ndim == 3:
        h, w = states[2].shape[-2:]
        last = last.transpose(1, 2).reshape(images.shape[0], -1, (h + 1) // 2, (w + 1) // 2)
    return last


def mmseg_mit(_root: Optional[str]) -> nn.Module:
    import_mmseg()
    from mmseg.registry import MODELS

    config = mmseg_model_config(B0)["backbone"]
    config.pop("init_cfg", None)  # the ImageNet file's download
    backbone = MODELS.build(config)
    quiet_init_weights(backbone)
    return backbone


MIT, HEAD = "nvlabs_segformer.mix_transformer", "nvlabs_segformer.decode_heads.segformer_head"


def nvlabs_modules(root: str) -> Tuple[types.ModuleType, types.ModuleType]:
    """The authors' mix_transformer.py and decode_heads/segformer_head.py, loaded from the checkout under the names
    ``nvlabs_segformer.*`` (the checkout's own ``mmseg`` package is mmseg 0.13's and would shadow the installed one).
    Their mmcv 1.x / mmseg 0.13 plumbing (registries, logger, checkpoint loader, fp16 decorators, loss builder, pixel
    sampler, ``resize``) are stand-ins; ConvModule is mmcv-lite's."""
    if HEAD in sys.modules:
        return sys.modules[MIT], sys.modules[HEAD]
    import_mmseg()  # mmcv.ops stubbed, so mmcv.cnn imports
    import mmcv.cnn
    from mmengine.model import normal_init

    def resize(input, size=None, scale_factor=None, mode="nearest", align_corners=None, warning=True):
        return F.interpolate(input, size, scale_factor, mode, align_corners)

    registry = DecoratorRegistry()
    decorator = lambda *a, **k: (lambda f: f)  # noqa: E731
    stand_ins = {
        "mmcv.cnn": module_of("mmcv.cnn", **{**vars(mmcv.cnn), "normal_init": normal_init}),
        "mmcv.runner": module_of("mmcv.runner", load_checkpoint=Unavailable("load_checkpoint"), auto_fp16=decorator,
                               force_fp32=decorator),
        "mmseg.models.builder": module_of("mmseg.models.builder", BACKBONES=registry),
        "mmseg.utils": module_of("mmseg.utils", get_root_logger=lambda: None),
        "mmseg.core": module_of("mmseg.core", build_pixel_sampler=Unavailable("build_pixel_sampler")),
        "mmseg.ops": module_of("mmseg.ops", resize=resize),
        "mmseg.models.utils": module_of("mmseg.models.utils"),
        "attr": module_of("attr"),
        "IPython": module_of("IPython", embed=Unavailable("IPython.embed")),
        "nvlabs_segformer": module_of("nvlabs_segformer"),
        "nvlabs_segformer.decode_heads": module_of("nvlabs_segformer.decode_heads"),
        "nvlabs_segformer.builder": module_of("nvlabs_segformer.builder", HEADS=registry, build_loss=lambda cfg: None),
        "nvlabs_segformer.losses": module_of("nvlabs_segformer.losses", accuracy=Unavailable("accuracy")),
    }
    folder = os.path.join(root, "mmseg", "models")
    with modules_in_place(stand_ins):
        mit = module_from_file(MIT, os.path.join(folder, "backbones", "mix_transformer.py"))
        module_from_file("nvlabs_segformer.decode_heads.decode_head", os.path.join(folder, "decode_heads", "decode_head.py"))
        head = module_from_file(HEAD, os.path.join(folder, "decode_heads", "segformer_head.py"))
    return mit, head


class NVlabsSegmentor(nn.Module):
    """``backbone`` and ``decode_head`` as their EncoderDecoder holds them (its checkpoint's keys); the forward is its
    whole-image ``encode_decode`` (logits resized to the input, align_corners False)."""

    def __init__(self, backbone: nn.Module, decode_head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.decode_head = decode_head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.decode_head(self.backbone(x)), size=x.shape[2:], mode="bilinear", align_corners=False)


def nvlabs_segformer(root: Optional[str]) -> nn.Module:
    """mit_b0 and SegFormerHead as local_configs/segformer/B0/segformer.b0.512x512.ade.160k.py (BN for SyncBN)."""
    mit, head = nvlabs_modules(root)
    decode_head = head.SegFormerHead(
        feature_strides=[4, 8, 16, 32], in_channels=list(B0_WIDTHS), in_index=[0, 1, 2, 3], channels=128,
        dropout_ratio=0.1, num_classes=CLASSES, norm_cfg=dict(type="BN", requires_grad=True), align_corners=False,
        decoder_params=dict(embed_dim=256), loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0))
    return NVlabsSegmentor(mit.mit_b0(), decode_head)


def nvlabs_mit(root: Optional[str]) -> nn.Module:
    """Their mit_b0 with the ImageNet classifier ``head`` its released mit_b0.pth carries (a Linear to 1000)."""
    mit, _ = nvlabs_modules(root)
    backbone = mit.mit_b0()
    backbone.head = nn.Linear(B0_WIDTHS[-1], 1000)
    return backbone


def last_stage(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return model(normalized(images))[-1]


def nvlabs_file(model: nn.Module) -> Dict[str, Any]:
    """``{"meta", "state_dict"}`` as their mmcv 1.x trainer saves it."""
    return {"meta": {"CLASSES": None}, "state_dict": model.state_dict()}


NVLABS_NOTES = ("imported from the checkout's own files under another package name, with their mmcv 1.x / mmseg 0.13 "
                "imports (registries, logger, checkpoint loader, fp16 decorators, resize) stood in for; needs timm and "
                "mmcv-lite as mmsegmentation's recipe installs them")

register_parity_reference(ParityReference(
    name="hf_segformer", converter="hf_segformer",
    reference="transformers.SegformerForSemanticSegmentation(SegformerConfig(num_labels=150)) (MiT-B0), logits "
              "up-sampled bilinear align_corners=False as its image processor does",
    requires=TRANSFORMERS, build=hf_segformer, logits=hf_segformer_logits, checkpoint=hub_file,
    opts=["MODEL.NUM_CLASSES", CLASSES]))
register_parity_reference(ParityReference(
    name="hf_mit", converter="hf_mit",
    reference="transformers.SegformerForImageClassification(SegformerConfig(num_labels=1000, "
              "reshape_last_stage=False)) (nvidia/mit-b0's network)",
    requires=TRANSFORMERS, build=hf_mit, logits=hf_mit_last_stage, checkpoint=hub_file, **AS_BACKBONE))
register_parity_reference(mmseg_reference("mmseg_segformer", B0, num_classes=CLASSES))
register_parity_reference(ParityReference(
    name="mmseg_mit", converter="mmseg_mit",
    reference=f"mmsegmentation's MixVisionTransformer of {B0} (the network of mit_b0_20220624-7e0fe6dd.pth)",
    requires=Requirement(modules=("mmseg",), install=MMSEG_INSTALL), build=mmseg_mit, logits=last_stage,
    **AS_BACKBONE))
register_parity_reference(ParityReference(
    name="nvlabs_segformer", converter="nvlabs_segformer",
    reference="NVlabs/SegFormer mit_b0 + SegFormerHead of segformer.b0.512x512.ade.160k.py, whole-image encode_decode",
    requires=NVLABS, build=nvlabs_segformer, logits=lambda model, images: model(normalized(images)),
    checkpoint=nvlabs_file, notes=NVLABS_NOTES))
register_parity_reference(ParityReference(
    name="nvlabs_mit", converter="nvlabs_mit",
    reference="NVlabs/SegFormer mix_transformer.mit_b0() with its 1000-class head (the network of mit_b0.pth)",
    requires=NVLABS, build=nvlabs_mit, logits=last_stage, notes=NVLABS_NOTES, **AS_BACKBONE))
register_parity_reference(smp_reference("smp_segformer", "Segformer", "mit_b0", CLASSES))
