"""The references UPerNet's converters are checked against (``tools/check_parity.py NAME``), all with 150 classes:
mmsegmentation's UPerNet R50, Swin-T and ConvNeXt-T, transformers' UperNetForSemanticSegmentation with Swin-T and
ConvNeXt-T backbones, segmentation_models_pytorch's UPerNet, and the authors' Swin-T and ConvNeXt-T UPerNets from
checkouts of their mmsegmentation-0.x forks."""
from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Dict, Optional

import torch
from torch import nn

from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.core_references import randomize_scales_and_bias_tables
from seg_engine.parity.mmseg import mmseg_reference

CLASSES = 150
STAGES = ["stage1", "stage2", "stage3", "stage4"]
TRANSFORMERS = Requirement(modules=("transformers", "safetensors"), install="pip install transformers")
WHOLE = ["TEST.MODE", "whole"]  # the ConvNeXt recipes slide 512x512 windows; the references run whole images


def smp_upernet(_root):
    import segmentation_models_pytorch as smp

    return smp.UPerNet("resnet50", encoder_weights=None, classes=CLASSES)


def _without_mmpretrain_multimodal() -> None:
    """mmpretrain 1.2 enables its BLIP/CLIP models when transformers is installed, and their import fails under
    transformers 5 (mmseg's ConvNeXt config imports mmpretrain.models); the ConvNeXt needs none of them."""
    try:
        import mmpretrain.utils.dependency as dependency
    except ImportError:
        return
    dependency.WITH_MULTIMODAL = False


def hub_file(model: nn.Module) -> Dict[str, torch.Tensor]:
    """What ``save_pretrained`` writes (the hub's model.safetensors)."""
    from safetensors.torch import load_file

    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        return load_file(os.path.join(folder, "model.safetensors"))


def _hf_upernet(backbone_config) -> nn.Module:
    from transformers import UperNetConfig, UperNetForSemanticSegmentation

    return randomize_scales_and_bias_tables(UperNetForSemanticSegmentation(UperNetConfig(backbone_config=backbone_config, num_labels=CLASSES,
                                                        auxiliary_in_channels=384)))


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
register_parity_reference(mmseg_reference(
    "mmseg_upernet_swin", "swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py",
    num_classes=CLASSES))
_convnext = mmseg_reference("mmseg_upernet_convnext", "convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py",
                            num_classes=CLASSES, opts=WHOLE,
                            notes="mmpretrain's multimodal models are switched off before the import (they fail "
                                  "under transformers 5; the ConvNeXt needs none of them)")
_mmseg_build = _convnext.build


def _mmseg_convnext(root: Optional[str]) -> nn.Module:
    _without_mmpretrain_multimodal()
    return _mmseg_build(root)


register_parity_reference(dataclasses.replace(_convnext, build=_mmseg_convnext))
register_parity_reference(ParityReference(
    name="smp_upernet", converter="smp_upernet",
    reference="segmentation_models_pytorch.UPerNet('resnet50', classes=150)",
    requires=Requirement(modules=("segmentation_models_pytorch",), install="pip install segmentation-models-pytorch"),
    build=smp_upernet, logits=lambda model, images: model(normalized(images)), sizes=((96, 64), (160, 96)),
    compared="the logits at the input size, at multiples of 32 (smp refuses others)"))
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
