"""The authors' UPerNets imported from checkouts of their mmsegmentation-0.x forks, for the parity checks: the Swin-T
of SwinTransformer/Swin-Transformer-Semantic-Segmentation and the ConvNeXt-T of facebookresearch/ConvNeXt's
semantic_segmentation (which ships only its backbone and uses the Swin fork's UPerHead and FCNHead).

Their files are executed from the checkouts under another package name (the forks' ``mmseg`` is 0.11's and would
shadow the installed one); their mmcv 1.x / mmseg 0.x plumbing (registries, logger, checkpoint loaders, fp16
decorators, loss builder, pixel sampler) is stood in for while they import; ConvModule is mmcv-lite's.
"""
from __future__ import annotations

import os
import sys
import types
from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.parity.checkout import DecoratorRegistry, Unavailable, module_from_file, module_of, modules_in_place
from seg_engine.parity.mmseg import import_mmseg

PACKAGE = "authors_upernet"
SWIN_SEG_MARKER = "mmseg/models/backbones/swin_transformer.py"
CONVNEXT_MARKER = "semantic_segmentation/backbone/convnext.py"


def _plumbing(ops: types.ModuleType) -> Dict[str, types.ModuleType]:
    import_mmseg()  # mmcv.ops stubbed, so mmcv.cnn imports on mmcv-lite
    import mmcv.cnn
    from mmengine.model import normal_init

    registry = DecoratorRegistry()
    decorator = lambda *a, **k: (lambda f: f)  # noqa: E731
    builder = module_of(f"{PACKAGE}.builder", BACKBONES=registry, HEADS=registry, build_loss=lambda cfg: None)
    return {
        "mmcv.cnn": module_of("mmcv.cnn", **{**vars(mmcv.cnn), "normal_init": normal_init}),
        "mmcv.runner": module_of("mmcv.runner", auto_fp16=decorator, force_fp32=decorator),
        "mmcv_custom": module_of("mmcv_custom", load_checkpoint=Unavailable("load_checkpoint")),
        "mmseg": module_of("mmseg"),
        "mmseg.utils": module_of("mmseg.utils", get_root_logger=lambda: None),
        "mmseg.core": module_of("mmseg.core", build_pixel_sampler=Unavailable("build_pixel_sampler")),
        "mmseg.ops": ops,
        "mmseg.models": module_of("mmseg.models"),
        "mmseg.models.builder": builder,
        f"{PACKAGE}.builder": builder,
        f"{PACKAGE}.losses": module_of(f"{PACKAGE}.losses", accuracy=Unavailable("accuracy")),
    }


def swin_seg_modules(root: str) -> types.ModuleType:
    """The Swin fork's backbones/swin_transformer.py and decode_heads/{decode_head,psp_head,uper_head,fcn_head}.py,
    loaded as ``authors_upernet.*``; returns the package, whose attributes name them."""
    package = sys.modules.get(PACKAGE)
    if package is not None and hasattr(package, "uper_head"):
        return package
    folder = os.path.join(root, "mmseg")
    for name in (PACKAGE, f"{PACKAGE}.backbones", f"{PACKAGE}.decode_heads"):
        sys.modules.setdefault(name, module_of(name))
    ops = module_from_file(f"{PACKAGE}.ops", os.path.join(folder, "ops", "wrappers.py"))  # their resize
    package = sys.modules[PACKAGE]
    with modules_in_place(_plumbing(ops)):
        package.swin_transformer = module_from_file(f"{PACKAGE}.backbones.swin_transformer",
                                              os.path.join(folder, "models", "backbones", "swin_transformer.py"))
        for head in ("decode_head", "psp_head", "uper_head", "fcn_head"):
            setattr(package, head, module_from_file(f"{PACKAGE}.decode_heads.{head}",
                                              os.path.join(folder, "models", "decode_heads", f"{head}.py")))
    return package


def convnext_module(root: str, swin_seg: types.ModuleType) -> types.ModuleType:
    """facebookresearch/ConvNeXt's semantic_segmentation/backbone/convnext.py (``authors_upernet.convnext``)."""
    with modules_in_place(_plumbing(sys.modules[f"{PACKAGE}.ops"])):
        return module_from_file(f"{PACKAGE}.convnext", os.path.join(root, CONVNEXT_MARKER))


class AuthorsUPerNet(nn.Module):
    """Their EncoderDecoder's modules (its checkpoint's keys: backbone, decode_head, auxiliary_head); the forward is
    its whole-image ``encode_decode`` (logits resized to the input, align_corners False)."""

    def __init__(self, backbone: nn.Module, decode_head: nn.Module, auxiliary_head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.decode_head = decode_head
        self.auxiliary_head = auxiliary_head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.decode_head(self.backbone(x)), size=x.shape[2:], mode="bilinear", align_corners=False)


def heads(package: types.ModuleType, classes: int) -> Dict[str, nn.Module]:
    """UPerHead and the FCN auxiliary head of configs/_base_/models/upernet_swin.py (and upernet_convnext.py), BN for
    SyncBN, on Swin-T's / ConvNeXt-T's widths."""
    norm = dict(type="BN", requires_grad=True)
    loss = dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0)
    return dict(
        decode_head=package.uper_head.UPerHead(
            in_channels=[96, 192, 384, 768], in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6), channels=512,
            dropout_ratio=0.1, num_classes=classes, norm_cfg=norm, align_corners=False, loss_decode=loss),
        auxiliary_head=package.fcn_head.FCNHead(
            in_channels=384, in_index=2, channels=256, num_convs=1, concat_input=False, dropout_ratio=0.1,
            num_classes=classes, norm_cfg=norm, align_corners=False, loss_decode=dict(loss, loss_weight=0.4)))


def authors_upernet_swin(root: str, classes: int) -> nn.Module:
    """upernet_swin_tiny_patch4_window7_512x512_160k_ade20k.py's network."""
    package = swin_seg_modules(root)
    backbone = package.swin_transformer.SwinTransformer(
        embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7, mlp_ratio=4.0, qkv_bias=True,
        qk_scale=None, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.3, ape=False, patch_norm=True,
        out_indices=(0, 1, 2, 3), use_checkpoint=False)
    return AuthorsUPerNet(backbone, **heads(package, classes))


def authors_upernet_convnext(swin_seg_root: str, convnext_root: str, classes: int) -> nn.Module:
    """upernet_convnext_tiny_512_160k_ade20k_ss.py's network."""
    package = swin_seg_modules(swin_seg_root)
    backbone = convnext_module(convnext_root, package).ConvNeXt(
        in_chans=3, depths=[3, 3, 9, 3], dims=[96, 192, 384, 768], drop_path_rate=0.4, layer_scale_init_value=1.0,
        out_indices=[0, 1, 2, 3])
    return AuthorsUPerNet(backbone, **heads(package, classes))
