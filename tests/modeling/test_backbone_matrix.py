"""Every model part trains on `shapes` with a torchvision and a timm backbone, through config alone.

Each case is a project's own `shapes` recipe with MODEL.BACKBONE.NAME switched to
``build_torchvision_backbone`` or ``build_timm_backbone`` (tiny models whose stages res2..res5 fit) and
the feature names the model reads; the parts take channels and strides from the backbone's
``output_shape()``. It trains a few iterations through DefaultTrainer, every parameter (the backbone's
included) gets a gradient, and in eval mode it predicts an odd-sized image at that size.

Every registered meta-architecture, neck and head is named by some case, or is in EXCLUDED with the reason
(a part whose design ties it to one backbone); a newly registered part in neither fails
``test_every_part_is_covered``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Dict, Sequence, Set, Tuple

import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.engine import DefaultTrainer
from seg_engine.modeling import HEAD_REGISTRY, META_ARCH_REGISTRY, NECK_REGISTRY, head_nodes
from seg_engine.plugins import load_installed_plugins
from seg_engine.utils.testing import image_batch

STAGES = ["res2", "res3", "res4", "res5"]


@dataclass(frozen=True)
class Case:
    """A project's shapes recipe, the backbone features and output stride it needs, more overrides."""

    recipe: str  # seg_engine://<Project>/<path>
    out_features: Sequence[str] = tuple(STAGES)
    output_stride: int = 32
    opts: Tuple[str, ...] = field(default_factory=tuple)


# Dilated models run at output stride 16 (both backbones dilate there); the U-shaped decoders, FPN and
# RefineNet read res2..res5 of the undilated network. Widths are cut to keep every case near a second.
MATRIX: Dict[str, Case] = {
    "FCNHead": Case(
        "seg_engine://FCN/shapes/fcn_R18-D8_shapes.yaml", ("res4", "res5"), 16,
        ("MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"),
    ),
    "PPMHead": Case(
        "seg_engine://PSPNet/shapes/pspnet_R18_shapes.yaml", ("res4", "res5"), 16,
        ("MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.PSP.REDUCTION_CHANNELS", "8"),
    ),
    "JPU + PPMHead": Case(
        "seg_engine://PSPNet/shapes/pspnet_R18_shapes.yaml", ("res3", "res4", "res5"), 32,
        ("MODEL.NECK.NAME", "JPU", "MODEL.JPU.WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
         "MODEL.PSP.REDUCTION_CHANNELS", "8"),
    ),
    "EncNet": Case(
        "seg_engine://EncNet/shapes/encnet_R18_shapes.yaml", ("res4", "res5"), 16,
        ("MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.ENCNET.NUM_CODES", "4"),
    ),
    "DeepLabV3: ASPPHead": Case(
        "seg_engine://DeepLab/shapes/deeplabv3plus_R18_shapes.yaml", ("res4", "res5"), 16,
        ("MODEL.HEAD.NAME", "ASPPHead", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
         "MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "0"),
    ),
    "DeepLabV3: DeepLabV3PlusHead": Case(
        "seg_engine://DeepLab/shapes/deeplabv3plus_R18_shapes.yaml", ("res2", "res4", "res5"), 16,
        ("MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "0",
         "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8"),
    ),
    "FPN + SemSegFPNHead": Case(
        "seg_engine://FPN/shapes/fpn_R18_shapes.yaml", STAGES, 32,
        ("MODEL.FPN.OUT_CHANNELS", "16", "MODEL.HEAD.CHANNELS", "16", "MODEL.HEAD.NORM", "BN"),
    ),
    "RefineNetHead": Case(
        "seg_engine://RefineNet/shapes/rf_lw_R18_shapes.yaml", STAGES, 32,
        ("MODEL.HEAD.CHANNELS", "16", "MODEL.REFINENET.TOP_CHANNELS", "16"),
    ),
    "UNetDecoder + UNetClassifierHead": Case(
        "seg_engine://UNet/shapes/unet_shapes.yaml", STAGES, 32,
        ("MODEL.UNET.IN_FEATURES", str(STAGES), "MODEL.UNET.DECODER_CHANNELS", "[16, 16, 8, 8, 8]"),
    ),
    "UNetPlusPlus: NestedDecoder": Case(
        "seg_engine://UNet/shapes/unetplusplus_R18_shapes.yaml", STAGES, 32,
        ("MODEL.UNET.IN_FEATURES", str(STAGES), "MODEL.UNET.DECODER_CHANNELS", "[16, 16, 8]",
         "MODEL.UNETPP.PRUNE_COLUMN", "3"),  # deep supervision on X(0, 1..3): four features, depth 3
    ),
    "LinkNetDecoder + LinkNetHead": Case(
        "seg_engine://UNet/shapes/linknet_R18_shapes.yaml", STAGES, 32,
        ("MODEL.LINKNET.IN_FEATURES", str(STAGES), "MODEL.HEAD.CHANNELS", "8"),
    ),
    "SegFormerHead": Case(
        "seg_engine://SegFormer/shapes/segformer_mit-tiny_shapes.yaml", STAGES, 32,
        ("MODEL.HEAD.IN_FEATURES", str(STAGES), "MODEL.HEAD.CHANNELS", "16"),
    ),
    "UPerNetHead": Case(
        "seg_engine://UPerNet/shapes/upernet_R18_shapes.yaml", STAGES, 32,
        ("MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"),
    ),
    "LRASPPHead": Case(  # the recipe names MobileNetV3-Large's nodes; the cases' backbones find theirs
        "seg_engine://RealTime/shapes/lraspp_shapes.yaml", ("res3", "res5"), 16, ("MODEL.TORCHVISION.RETURN_NODES", "[]"),
    ),
    "DDRNet: PreActSegHead": Case(
        "seg_engine://RealTime/shapes/ddrnet_shapes.yaml", ("res4", "res5"), 32,
        ("MODEL.HEAD.IN_FEATURES", "['res5']", "MODEL.AUX_HEAD.IN_FEATURES", "['res4']"),
    ),
    "STDC: RealTimeSegmentor + DetailHead": Case(
        "seg_engine://RealTime/shapes/stdc_shapes.yaml", ("res3", "res4", "res5"), 32,
        ("MODEL.HEAD.IN_FEATURES", "['res5']", "MODEL.AUX_HEAD.IN_FEATURES", "['res3']",
         "MODEL.AUX_HEAD2.IN_FEATURES", "['res4']", "MODEL.AUX_HEAD3.IN_FEATURES", "['res3']"),
    ),
    "Mask2Former": Case(
        "seg_engine://Mask2Former/shapes/mask2former_r18_shapes.yaml", STAGES, 32,
    ),
}

# Parts whose design ties them to one backbone, and why.
EXCLUDED: Dict[str, str] = {
    "FCNSkipHead": "the Caffe FCN-32s/16s/8s read VGG's fc6/fc7 (7x7 and 1x1 convs on pool5), pool3/pool4 and conv1, "
                   "and crop at offsets derived from VGG's geometry (conv1_1 padded by 100, 3x3 pad-1 convs, 2x2 "
                   "ceil pools; fcn/alignment.py); another backbone has other offsets. The dilated-backbone FCN is "
                   "EncoderDecoder + FCNHead, which is in the matrix",
    "SegNetDecoder": "it max-unpools at the argmax indices of VGG's five 2x2 pools (MODEL.VGG.RETURN_INDICES) and "
                     "mirrors VGG's conv blocks; torchvision and timm backbones expose neither",
    "PIDNetSegmentor": "PIDNet's losses read its backbone's three branches (P, I and the boundary branch D, "
                       "build_pidnet_backbone's 'p', 'fused' and 'd' maps); other backbones have no such branches",
    "BoundaryHead": "it is PIDNetSegmentor's D head (see PIDNetSegmentor)",
    "OverlapTileUNet": "the paper's valid convolutions shrink every map by the encoder's own geometry "
                       "(build_unet_encoder); padded backbones are the UNetDecoder case",
}

# Tiny models with stages at strides 4..32 that dilate to output stride 16.
BACKBONES: Dict[str, Tuple[str, ...]] = {
    "torchvision": ("MODEL.BACKBONE.NAME", "build_torchvision_backbone", "MODEL.TORCHVISION.NAME", "mobilenet_v3_small"),
    "timm": ("MODEL.BACKBONE.NAME", "build_timm_backbone", "MODEL.TIMM.NAME", "test_efficientnet"),
}
CROP = (49, 33)  # training crop (h, w): odd, not a multiple of any stride
EVAL_SIZE = (45, 61)
ITERATIONS = 2


def _config(name: str, backend: str, output_dir: str):
    case = MATRIX[name]
    node = "MODEL.TORCHVISION" if backend == "torchvision" else "MODEL.TIMM"
    cfg = get_cfg()
    cfg.merge_from_file(case.recipe)
    cfg.merge_from_list([str(v) for v in (
        *BACKBONES[backend], f"{node}.OUT_FEATURES", list(case.out_features), f"{node}.OUTPUT_STRIDE", case.output_stride,
        "MODEL.BACKBONE.FREEZE_AT", 0, "MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", "", "MODEL.WEIGHTS_FORMAT", "",
        *case.opts,
        "SOLVER.IMS_PER_BATCH", 2, "SOLVER.MAX_ITER", ITERATIONS, "SOLVER.WARMUP_ITERS", 0,
        "SOLVER.CHECKPOINT_PERIOD", 1000, "INPUT.TRAIN.CROP_SIZE", CROP, "DATALOADER.NUM_WORKERS", 0,
        "DATASETS.TEST", "()", "TEST.EVAL_PERIOD", 0, "LOG_PERIOD", 1, "OUTPUT_DIR", output_dir,
    )])
    return cfg


def _parts(cfg) -> Set[str]:
    """The registered names a config's model is made of."""
    return {cfg.MODEL.META_ARCHITECTURE, cfg.MODEL.NECK.NAME} | {node.NAME for _, node in head_nodes(cfg)}


def test_every_part_is_covered():
    load_installed_plugins()
    registered = {name for registry in (META_ARCH_REGISTRY, NECK_REGISTRY, HEAD_REGISTRY) for name, _ in registry}
    covered = set().union(*(_parts(_config(name, "torchvision", "unused")) for name in MATRIX)) - {""}
    assert not covered & set(EXCLUDED), "a part is either in the matrix or excluded"
    missing = sorted(registered - covered - set(EXCLUDED))
    assert missing == [], f"add a case naming {missing} to MATRIX (or the part to EXCLUDED with the reason) in {__file__}"
    assert set(EXCLUDED) <= registered, "no stale exclusions"


# Cases over ~3 s on the 2-core CI machine run with -m slow; the rest keep every kind of part (head, neck,
# meta-architecture subclass) in the default run.
SLOW = {"UNetPlusPlus: NestedDecoder", "DeepLabV3: ASPPHead", "RefineNetHead", "LinkNetDecoder + LinkNetHead",
        "EncNet", "JPU + PPMHead"}


@pytest.mark.parametrize("backend", sorted(BACKBONES))
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(MATRIX)])
def test_trains_and_predicts_with_the_backbone(name, backend, tmp_path):
    if backend == "timm":
        pytest.importorskip("timm", reason="timm is an optional extra (pip install 'seg_engine[timm]')")
    cfg = _config(name, backend, str(tmp_path))
    torch.manual_seed(0)
    trainer = DefaultTrainer(cfg)
    model = trainer.model
    assert type(model).__name__ == cfg.MODEL.META_ARCHITECTURE
    assert type(model.backbone).__name__ == {"torchvision": "TorchvisionBackbone", "timm": "TimmBackbone"}[backend]
    trainer.resume_or_load(resume=False)
    trainer.train()

    with open(os.path.join(str(tmp_path), "metrics.json")) as f:
        rows = [json.loads(line) for line in f if "total_loss" in line]
    losses = [r["total_loss"] for r in rows]
    assert [r["iteration"] for r in rows] == list(range(ITERATIONS))
    assert all(math.isfinite(v) and v > 0 for v in losses), losses
    assert len(set(losses)) > 1, losses

    # Every trainable parameter, the backbone's first ones included, gets a gradient from the losses.
    model.train()
    model.zero_grad(set_to_none=True)
    sum(model(image_batch(CROP, CROP, with_masks=True, classes=cfg.MODEL.NUM_CLASSES)).values()).backward()
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert no_grad == []

    model.eval()
    with torch.no_grad():
        (out,) = model(image_batch(EVAL_SIZE))
    assert tuple(out["sem_seg"].shape) == (cfg.MODEL.NUM_CLASSES, *EVAL_SIZE)
    assert torch.isfinite(out["sem_seg"]).all()
