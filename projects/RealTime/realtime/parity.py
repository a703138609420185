"""The references the real-time converters are checked against (``tools/check_parity.py NAME``): mmsegmentation's
PIDNet-S, DDRNet-23-slim, BiSeNetV1 R18, BiSeNetV2 and STDC1 (Cityscapes, 19 classes; the variants
``mmseg_pidnet/pidnet-m``, ``mmseg_pidnet/pidnet-l``, ``mmseg_ddrnet/ddrnet-23`` and ``mmseg_stdc/stdc2`` check the
larger networks), torchvision's lraspp_mobilenet_v3_large (21 classes), and the authors' PIDNet-S and CoinCheung's
BiSeNetV1/V2 from checkouts of XuJiacong/PIDNet and CoinCheung/BiSeNet.

Sizes: PIDNet and DDRNet (mmseg's and the authors') refuse sides that are not multiples of 8, CoinCheung's models
(enlargements by scale factor) sides that are not multiples of 32; mmseg's BiSeNets and STDC and torchvision's
LR-ASPP take odd sizes. The authors' models are built as trained (their auxiliary heads in the file, as in the
released checkpoints) and run as their inference code runs them (auxiliary outputs off).
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Optional

import torch
from torch import nn

from seg_engine.parity import DEFAULT_SIZES, ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized, resized
from seg_engine.parity.checkout import import_from_checkout
from seg_engine.parity.mmseg import mmseg_reference

CITYSCAPES = 19
MULTIPLES_OF_8 = ((72, 104), (128, 96))
MULTIPLES_OF_32 = ((96, 128), (128, 160))
# CoinCheung's Cityscapes statistics (lib/data/cityscapes_cv2.py, RGB, 0..1) on the 0..255 scale
COINCHEUNG_MEAN = tuple(255 * m for m in (0.3257, 0.3690, 0.3223))
COINCHEUNG_STD = tuple(255 * s for s in (0.2112, 0.2148, 0.2115))
XUJIACONG = Requirement(repository="XuJiacong/PIDNet", marker="models/pidnet.py")
COINCHEUNG = Requirement(repository="CoinCheung/BiSeNet", marker="lib/models/bisenetv2.py")

register_parity_reference(mmseg_reference(
    "mmseg_pidnet", "pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py", sizes=MULTIPLES_OF_8,
    compared="the logits at the input size, at multiples of 8 (mmseg's PIDNet refuses others)"))
register_parity_reference(mmseg_reference(
    "mmseg_ddrnet", "ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-1024x1024.py", sizes=MULTIPLES_OF_8,
    compared="the logits at the input size, at multiples of 8 (mmseg's DDRNet refuses others)"))
register_parity_reference(mmseg_reference(
    "mmseg_bisenetv1", "bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-1024x1024.py"))
register_parity_reference(mmseg_reference(
    "mmseg_bisenetv2", "bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py"))
register_parity_reference(mmseg_reference(
    "mmseg_stdc", "stdc/stdc1_4xb12-80k_cityscapes-512x1024.py",
    notes="mmseg's STDCHead keeps its constant fusion kernel (3 numbers) as a Parameter, which the converter drops "
          "with the Laplacian kernel: ours has 3 parameters fewer"))

# the larger networks the same converters read, each with the recipe of its own size
for converter, variant, config, recipe, sizes in (
        ("mmseg_pidnet", "pidnet-m", "pidnet/pidnet-m_2xb6-120k_1024x1024-cityscapes.py",
         "pidnet-m_1024x1024_120k_cityscapes_mmseg.yaml", MULTIPLES_OF_8),
        ("mmseg_pidnet", "pidnet-l", "pidnet/pidnet-l_2xb6-120k_1024x1024-cityscapes.py",
         "pidnet-l_1024x1024_120k_cityscapes_mmseg.yaml", MULTIPLES_OF_8),
        ("mmseg_ddrnet", "ddrnet-23", "ddrnet/ddrnet_23_in1k-pre_2xb6-120k_cityscapes-1024x1024.py",
         "ddrnet-23_1024x1024_120k_cityscapes_mmseg.yaml", MULTIPLES_OF_8),
        ("mmseg_stdc", "stdc2", "stdc/stdc2_4xb12-80k_cityscapes-512x1024.py",
         "stdc2_512x1024_80k_cityscapes_mmseg.yaml", DEFAULT_SIZES)):
    register_parity_reference(mmseg_reference(converter, config, name=f"{converter}/{variant}", sizes=sizes,
                                              recipe=f"seg_engine://RealTime/cityscapes/{recipe}"))


def torchvision_lraspp(_root: Optional[str]) -> nn.Module:
    import torchvision

    return torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                     num_classes=21)


register_parity_reference(ParityReference(
    name="torchvision_lraspp", converter="torchvision_lraspp",
    reference="torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, "
              "num_classes=21)",
    requires=Requirement(modules=("torchvision",), install="pip install torchvision"), build=torchvision_lraspp,
    logits=lambda model, images: model(normalized(images))["out"],
    compared="the logits at the input size (its forward up-samples them, align_corners=False)"))


def xujiacong_pidnet_s(root: Optional[str]) -> nn.Module:
    """XuJiacong/PIDNet's PIDNet-S with the arguments of models.pidnet.get_seg_model (augment=True: the P and D heads
    its checkpoints hold), built directly since get_seg_model loads the ImageNet file named in its config."""
    pidnet = import_from_checkout(root, "models.pidnet")
    return pidnet.PIDNet(m=2, n=3, num_classes=CITYSCAPES, planes=32, ppm_planes=96, head_planes=128, augment=True)


def xujiacong_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Their inference: the main 1/8 logits alone (``augment`` off, as get_pred_model builds it), up-sampled as
    utils/function.py does (align_corners=True, configs/default.py's MODEL.ALIGN_CORNERS)."""
    model.augment = False
    return resized(model(normalized(images)), images.shape[-2:], align_corners=True)


def xujiacong_file(model: nn.Module) -> Dict[str, Any]:
    """What train.py saves: the FullModel's state dict (``model.`` + keys, and the OHEM loss's class weights)."""
    return {**{f"model.{k}": v for k, v in model.state_dict().items()},
            "sem_loss.criterion.weight": torch.ones(CITYSCAPES)}


register_parity_reference(ParityReference(
    name="xujiacong_pidnet", converter="xujiacong_pidnet",
    reference="XuJiacong/PIDNet models.pidnet.PIDNet(m=2, n=3, num_classes=19, planes=32, ppm_planes=96, "
              "head_planes=128, augment=True) (get_seg_model's PIDNet-S), run with augment off",
    requires=XUJIACONG, build=xujiacong_pidnet_s, logits=xujiacong_logits, checkpoint=xujiacong_file,
    sizes=MULTIPLES_OF_8,
    compared="the main logits up-sampled to the input size (align_corners=True), at multiples of 8 (its forward "
             "refuses others); its file: the FullModel's state dict ('model.' + key, 'sem_loss.criterion.weight')",
    notes="built with the PIDNet class itself: get_seg_model loads the ImageNet file named in its config"))


@contextlib.contextmanager
def _no_downloads(resnet: Any, bisenetv2: Any) -> Iterator[None]:
    """Their constructors download ImageNet weights (Resnet18.init_weight, BiSeNetV2.load_pretrain): both are
    no-ops while the reference is built, restored after."""
    saved = resnet.Resnet18.init_weight, bisenetv2.BiSeNetV2.load_pretrain
    resnet.Resnet18.init_weight = lambda self: None
    bisenetv2.BiSeNetV2.load_pretrain = lambda self: None
    try:
        yield
    finally:
        resnet.Resnet18.init_weight, bisenetv2.BiSeNetV2.load_pretrain = saved


def coincheung_bisenet(version: str):
    def build(root: Optional[str]) -> nn.Module:
        """lib.models.model_factory['bisenet<version>'](19, aux_mode='train'): the auxiliary heads its files hold."""
        models = import_from_checkout(root, "lib.models")
        with _no_downloads(import_from_checkout(root, "lib.models.resnet"),
                           import_from_checkout(root, "lib.models.bisenetv2")):
            return models.model_factory[f"bisenet{version}"](CITYSCAPES, aux_mode="train")

    return build


def coincheung_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Their evaluation: aux_mode 'eval' (the main logits, up-sampled inside the model), images normalized with
    their Cityscapes statistics."""
    model.aux_mode = "eval"
    return model(normalized(images, COINCHEUNG_MEAN, COINCHEUNG_STD))[0]


COINCHEUNG_NOTES = ("Resnet18.init_weight and BiSeNetV2.load_pretrain (downloads of ImageNet weights in the "
                    "constructors) are no-ops while the reference is built")
for version, file in (("v1", "model_final_v1_city_new.pth"), ("v2", "model_final_v2_city.pth")):
    register_parity_reference(ParityReference(
        name=f"coincheung_bisenet{version}", converter=f"coincheung_bisenet{version}",
        reference=f"CoinCheung/BiSeNet lib.models.model_factory['bisenet{version}'](19, aux_mode='train'), run "
                  "with aux_mode 'eval'",
        requires=COINCHEUNG, build=coincheung_bisenet(version), logits=coincheung_logits, sizes=MULTIPLES_OF_32,
        compared=f"the logits at the input size, at multiples of 32 (its forward refuses others); its file: "
                 f"{file}, a plain state dict", notes=COINCHEUNG_NOTES))
