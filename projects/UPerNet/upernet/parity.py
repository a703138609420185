"""The references UPerNet's converters are checked against (``tools/check_parity.py NAME``), all with 150 classes:
mmsegmentation's UPerNet R50, Swin-T and ConvNeXt-T, transformers' UperNetForSemanticSegmentation with Swin-T and
ConvNeXt-T backbones, segmentation_models_pytorch's UPerNet, and the authors' Swin-T and ConvNeXt-T UPerNets from
checkouts of their mmsegmentation-0.x forks."""
from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Callable, Dict, Optional

import torch
from torch import nn

from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.core_references import randomize_scales_and_bias_tables, without_mmpretrain_multimodal
from seg_engine.parity.mmseg import mmseg_checkpoint, mmseg_reference
from seg_engine.parity.smp import smp_reference

from .authors_checkouts import CONVNEXT_MARKER, SWIN_SEG_MARKER, authors_upernet_convnext, authors_upernet_swin

CLASSES = 150
STAGES = ["stage1", "stage2", "stage3", "stage4"]
TRANSFORMERS = Requirement(modules=("transformers", "safetensors"), install="pip install transformers")
WHOLE = ["TEST.MODE", "whole"]  # the ConvNeXt recipes slide 512x512 windows; the references run whole images


def hub_file(model: nn.Module) -> Dict[str, torch.Tensor]:
    """What ``save_pretrained`` writes (the hub's model.safetensors)."""
    from safetensors.torch import load_file

    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        return load_file(os.path.join(folder, "model.safetensors"))


def _hf_upernet(backbone_config) -> nn.Module:
    from transformers import UperNetConfig, UperNetForSemanticSegmentation

    model = UperNetForSemanticSegmentation(UperNetConfig(backbone_config=backbone_config, num_labels=CLASSES,
                                                         auxiliary_in_channels=384))
    return randomize_scales_and_bias_tables(model)


def hf_upernet_swin(_root: Optional[str]) -> nn.Module:
    """openmmlab/upernet-swin-tiny's network."""
    from transformers import SwinConfig

    return _hf_upernet(SwinConfig(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7,
                                  drop_path_rate=0.3, out_features=STAGES))


def hf_upernet_convnext(_root: Optional[str]) -> nn.Module:
    """openmmlab/upernet-convnext-tiny's network."""
    from transformers import ConvNextConfig

    return _hf_upernet(ConvNextConfig(depths=[3, 3, 9, 3], hidden_sizes=[96, 192, 384, 768], drop_path_rate=0.4,
                                      layer_scale_init_value=1.0, out_features=STAGES))


def hf_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Its logits, which its forward up-samples to the input (bilinear, align_corners False)."""
    return model(pixel_values=normalized(images)).logits


register_parity_reference(mmseg_reference("mmseg_upernet", "upernet/upernet_r50_4xb4-80k_ade20k-512x512.py",
                                          num_classes=CLASSES))


def _randomized(entry: ParityReference, before: Optional[Callable[[], None]] = None) -> ParityReference:
    """``entry`` whose reference also gets random layer scales and Swin bias tables (``before`` runs first)."""
    build = entry.build

    def randomized_build(root: Optional[str]) -> nn.Module:
        if before is not None:
            before()
        return randomize_scales_and_bias_tables(build(root))

    return dataclasses.replace(entry, build=randomized_build)


register_parity_reference(_randomized(mmseg_reference(
    "mmseg_upernet_swin", "swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py",
    num_classes=CLASSES)))
register_parity_reference(_randomized(mmseg_reference(
    "mmseg_upernet_convnext", "convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py", num_classes=CLASSES,
    opts=WHOLE, notes="mmpretrain's multimodal models are switched off before the import (they fail under "
                      "transformers 5; the ConvNeXt needs none of them)"), before=without_mmpretrain_multimodal))
register_parity_reference(smp_reference("smp_upernet", "UPerNet", "resnet50", CLASSES))
register_parity_reference(ParityReference(
    name="hf_upernet_swin", converter="hf_upernet_swin",
    reference="transformers.UperNetForSemanticSegmentation(UperNetConfig(SwinConfig(Swin-T), num_labels=150)) "
              "(openmmlab/upernet-swin-tiny's network)",
    requires=TRANSFORMERS, build=hf_upernet_swin, logits=hf_logits, checkpoint=hub_file))
register_parity_reference(ParityReference(
    name="hf_upernet_convnext", converter="hf_upernet_convnext",
    reference="transformers.UperNetForSemanticSegmentation(UperNetConfig(ConvNextConfig(ConvNeXt-T), "
              "num_labels=150)) (openmmlab/upernet-convnext-tiny's network)",
    requires=TRANSFORMERS, build=hf_upernet_convnext, logits=hf_logits, checkpoint=hub_file, opts=WHOLE))

SWIN_SEG = Requirement(repository="SwinTransformer/Swin-Transformer-Semantic-Segmentation", marker=SWIN_SEG_MARKER)
CONVNEXT = Requirement(repository="facebookresearch/ConvNeXt", marker=CONVNEXT_MARKER)
AUTHORS_NOTES = ("imported from the checkout's own files under another package name, with their mmcv 1.x / mmseg 0.x "
                 "imports (registries, logger, checkpoint loaders, fp16 decorators) stood in for; needs timm and "
                 "mmcv-lite as mmsegmentation's recipe installs them")


def _authors_swin(root: Optional[str]) -> nn.Module:
    return randomize_scales_and_bias_tables(authors_upernet_swin(root, CLASSES))


def _authors_convnext(root: Optional[str]) -> nn.Module:
    """Its UPerHead and FCNHead come from the Swin fork, a checkout beside this one under the same root."""
    swin_seg = SWIN_SEG.resolve(os.path.dirname(root), "authors_upernet_convnext")
    return randomize_scales_and_bias_tables(authors_upernet_convnext(swin_seg, root, CLASSES))


register_parity_reference(ParityReference(
    name="authors_upernet_swin", converter="authors_upernet_swin",
    reference="Swin-Transformer-Semantic-Segmentation's SwinTransformer + UPerHead + FCNHead of "
              "upernet_swin_tiny_patch4_window7_512x512_160k_ade20k.py, whole-image encode_decode",
    requires=SWIN_SEG, build=_authors_swin, logits=lambda model, images: model(normalized(images)),
    checkpoint=mmseg_checkpoint, notes=AUTHORS_NOTES))
register_parity_reference(ParityReference(
    name="authors_upernet_convnext", converter="authors_upernet_convnext",
    reference="facebookresearch/ConvNeXt semantic_segmentation's ConvNeXt + the Swin fork's UPerHead + FCNHead of "
              "upernet_convnext_tiny_512_160k_ade20k_ss.py, whole-image encode_decode",
    requires=CONVNEXT, build=_authors_convnext, logits=lambda model, images: model(normalized(images)),
    checkpoint=mmseg_checkpoint, opts=WHOLE,
    notes=AUTHORS_NOTES + "; also needs a checkout of SwinTransformer/Swin-Transformer-Semantic-Segmentation beside "
                          "this one (its heads)"))
