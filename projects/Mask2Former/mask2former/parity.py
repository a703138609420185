"""The references Mask2Former's converters are checked against (``tools/check_parity.py NAME``), all with 150 classes:
transformers' Mask2FormerForUniversalSegmentation (ResNet-50 and Swin-T backbones), the authors' model from checkouts
of facebookresearch/Mask2Former and detectron2 (R50 and Swin-T ADE20K configs), and mmsegmentation's
mask2former_r50 (whose head is mmdet 3.3.0's Mask2FormerHead).

Mask2Former has no logits: what is compared is the semantic scores, per class the sum over queries of
P(class | query) (softmax without "no object") times sigmoid(mask), the masks resized bilinearly to the input
(detectron2's semantic inference, which :func:`~.mask2former.semantic_scores` computes here).
"""
from __future__ import annotations

import copy
import importlib.util
import os
import sys
import types
import warnings
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.parity import ParityReference, Requirement, decode_head_logits, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.checkout import package_without_init, stand_in_module
from seg_engine.parity.mmseg import (INSTALL as MMSEG_INSTALL, import_mmseg, input_statistics, mmseg_checkpoint,
                                     mmseg_logits, mmseg_model_config, quiet_init_weights)
from seg_engine.parity.reference import MissingReference, git_commit

CLASSES = 150
SCORES = ("the semantic scores (class probabilities without 'no object' times mask probabilities, summed over "
          "queries; Mask2Former has no logits)")

# ----------------------------------------------------------------------------------------------- transformers

TRANSFORMERS = Requirement(modules=("transformers", "safetensors"), install="pip install transformers")
STAGES = ["stage1", "stage2", "stage3", "stage4"]


def hf_mask2former(backbone: str):
    def build(_root: Optional[str]) -> nn.Module:
        from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, ResNetConfig, SwinConfig

        if backbone == "r50":
            config = ResNetConfig(depths=[3, 4, 6, 3], out_features=STAGES)
        else:
            config = SwinConfig(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7,
                                drop_path_rate=0.3, out_features=STAGES)
        return Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=config, num_labels=CLASSES))

    return build


def hf_scores(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """detectron2's semantic inference on its last layer's class and mask logits, the masks resized to the input
    (its own post_process_semantic_segmentation first resizes them to 384x384)."""
    out = model(pixel_values=normalized(images))
    masks = F.interpolate(out.masks_queries_logits, size=images.shape[-2:], mode="bilinear", align_corners=False)
    return torch.einsum("bqc,bqhw->bchw", out.class_queries_logits.softmax(-1)[..., :-1], masks.sigmoid())


def hf_file(model: nn.Module) -> Dict[str, torch.Tensor]:
    """pytorch_model.bin: ``torch.save(model.state_dict())``, the layout of the hub's facebook/mask2former-* files."""
    return model.state_dict()


HF_COMMON = dict(requires=TRANSFORMERS, logits=hf_scores, checkpoint=hf_file, ours=decode_head_logits,
                 compared=SCORES + " at the input size, neither side padded")
register_parity_reference(ParityReference(
    name="hf_mask2former", converter="hf_mask2former",
    reference="transformers.Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=ResNetConfig("
              "depths=[3, 4, 6, 3]), num_labels=150))",
    build=hf_mask2former("r50"), **HF_COMMON))
register_parity_reference(ParityReference(
    name="hf_mask2former_swin", converter="hf_mask2former_swin",
    reference="transformers.Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=SwinConfig("
              "embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7), num_labels=150))",
    build=hf_mask2former("swin-t"), **HF_COMMON))

# ----------------------------------------------------------------------------------------------- the authors'

class AuthorsCheckouts(Requirement):
    """The Mask2Former checkout, and detectron2's next to it, whose commit the report names too."""

    def describe(self) -> str:
        return ("checkouts of facebookresearch/Mask2Former and facebookresearch/detectron2 side by side "
                "(git clone https://github.com/facebookresearch/Mask2Former; git clone "
                "https://github.com/facebookresearch/detectron2; then --reference-root DIR)")

    def versions(self, folder: Optional[str]) -> Dict[str, str]:
        d2 = os.path.join(os.path.dirname(folder), "detectron2") if folder else ""
        return {**super().versions(folder), "facebookresearch/detectron2": git_commit(d2) if d2 else "unknown"}


AUTHORS = AuthorsCheckouts(repository="facebookresearch/Mask2Former", marker="mask2former/maskformer_model.py")
AUTHORS_PACKAGE = "facebookresearch_mask2former"  # not "mask2former": that name is this project's package


def detectron2_folder(root: str) -> str:
    """detectron2's checkout, next to Mask2Former's (its projects/DeepLab is needed too)."""
    folder = os.path.join(os.path.dirname(root), "detectron2")
    if not os.path.isfile(os.path.join(folder, "detectron2", "__init__.py")):
        raise MissingReference(f"the authors' Mask2Former also needs a checkout of facebookresearch/detectron2 next to "
                               f"{root!r} (git clone https://github.com/facebookresearch/detectron2 {folder})")
    return folder


def import_authors(root: str) -> None:
    """detectron2 and the authors' package (registered as AUTHORS_PACKAGE, its submodules import relatively), with
    detectron2's compiled ``_C`` and the deformable-attention kernel stood in for: the authors' MSDeformAttn then runs
    its own grid_sample fallback. Once per process (their registries refuse a second registration)."""
    if f"{AUTHORS_PACKAGE}.maskformer_model" in sys.modules:
        return
    d2 = detectron2_folder(root)
    for path in (os.path.join(d2, "projects", "DeepLab"), d2):
        if path not in sys.path:
            sys.path.insert(0, path)
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        import detectron2  # noqa: F401 (first: the stand-in for its _C goes into the real package)

        stand_in_module("detectron2._C", rest_unavailable=True)
        stand_in_module("MultiScaleDeformableAttention", rest_unavailable=True)
        package_without_init(AUTHORS_PACKAGE, os.path.join(root, "mask2former"))
        for module in ("config", "modeling", "maskformer_model"):
            importlib.import_module(f"{AUTHORS_PACKAGE}.{module}")
    finally:
        sys.dont_write_bytecode = before


def d2_mask2former(config: str):
    def build(root: Optional[str]) -> nn.Module:
        import_authors(root)
        from deeplab import add_deeplab_config
        from detectron2.config import get_cfg
        from detectron2.modeling import build_model

        add_maskformer2_config = sys.modules[f"{AUTHORS_PACKAGE}.config"].add_maskformer2_config
        cfg = get_cfg()
        add_deeplab_config(cfg)
        add_maskformer2_config(cfg)
        cfg.merge_from_file(os.path.join(root, "configs", config))
        cfg.MODEL.DEVICE, cfg.MODEL.WEIGHTS = "cpu", ""
        cfg.freeze()
        return build_model(cfg)

    return build


def d2_end_to_end(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The authors' inference on raw RGB images: normalized, padded to 32, scores, cropped to each image."""
    h, w = images.shape[-2:]
    return torch.stack([r["sem_seg"] for r in model([{"image": x, "height": h, "width": w} for x in images])])


def d2_file(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The tensors of the authors' model_final_*.pkl as read_d2_pkl returns them (the .pkl itself, numpy arrays, goes
    through convert_d2, which applies this converter). Not wrapped in ``{"model": ...}``: such a file whose keys
    partly are ours (the Swin's are) is taken for a seg_engine checkpoint and loaded unconverted."""
    return model.state_dict()


D2_NOTES = ("the authors' package is imported from the checkout under another name (this project's is mask2former); "
            "detectron2 from its checkout next to it (with projects/DeepLab on the path), its compiled _C and the "
            "MultiScaleDeformableAttention kernel stood in for (the authors' grid_sample fallback runs)")
D2_COMMON = dict(requires=AUTHORS, logits=d2_end_to_end, checkpoint=d2_file, notes=D2_NOTES,
                 compared=SCORES + ", end to end on both sides (padded to 32, scores, cropped to the input)")
register_parity_reference(ParityReference(
    name="d2_mask2former", converter="d2_mask2former",
    reference="facebookresearch/Mask2Former build_model(configs/ade20k/semantic-segmentation/"
              "maskformer2_R50_bs16_160k.yaml), model([{image, height, width}])",
    build=d2_mask2former("ade20k/semantic-segmentation/maskformer2_R50_bs16_160k.yaml"), **D2_COMMON))
register_parity_reference(ParityReference(
    name="d2_mask2former_swin", converter="d2_mask2former_swin",
    reference="facebookresearch/Mask2Former build_model(configs/ade20k/semantic-segmentation/swin/"
              "maskformer2_swin_tiny_bs16_160k.yaml), model([{image, height, width}])",
    build=d2_mask2former("ade20k/semantic-segmentation/swin/maskformer2_swin_tiny_bs16_160k.yaml"), **D2_COMMON))

# ----------------------------------------------------------------------------------------------- mmsegmentation

MMSEG_CONFIG = "mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py"
MMDET_INSTALL = MMSEG_INSTALL + " && pip install --no-deps mmdet==3.3.0 shapely terminaltables pycocotools"


class _OpsSubmodules:
    """Any ``mmcv.ops.<name>`` submodule not loaded otherwise (mmdet imports several at import time): a module whose
    every name fails when called (mmcv-lite has no compiled ops; Mask2Former never calls them)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        if fullname.startswith("mmcv.ops.") and fullname not in sys.modules:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        return stand_in_module(spec.name, rest_unavailable=True)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _mmcv_lite_op(name: str) -> types.ModuleType:
    """mmcv-lite's own ``mmcv/ops/<name>.py`` (pure PyTorch on CPU), its compiled-extension loader stood in for."""
    import mmcv
    import mmcv.utils.ext_loader as ext_loader

    load_ext = ext_loader.load_ext
    ext_loader.load_ext = lambda _name, _funcs: types.SimpleNamespace()
    try:
        path = os.path.join(os.path.dirname(mmcv.__file__), "ops", f"{name}.py")
        spec = importlib.util.spec_from_file_location(f"mmcv.ops.{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    finally:
        ext_loader.load_ext = load_ext
    return module


def import_mmseg_with_mmdet() -> None:
    """mmseg with mmdet's Mask2FormerHead: mmcv.ops stubbed as mmseg's recipe does, plus mmcv-lite's real
    point_sample and MultiScaleDeformableAttention (its grid_sample path on CPU), before mmseg imports mmdet;
    mmpretrain's multimodal models off (mmdet imports mmpretrain.models)."""
    if importlib.util.find_spec("mmdet") is None:
        raise MissingReference(f"mmseg_mask2former needs mmdet 3.3.0 for mmseg's Mask2FormerHead: {MMDET_INSTALL}")
    if "mmseg.models" in sys.modules:
        from mmengine.model import BaseModule
        from mmseg.models.decode_heads import mask2former_head

        if mask2former_head.MMDET_Mask2FormerHead is BaseModule:
            raise MissingReference("mmseg was imported before mmdet in this process (its Mask2FormerHead is then a "
                                   "placeholder): run mmseg_mask2former on its own")
        return
    import mmcv

    if "mmcv.ops" not in sys.modules and importlib.util.find_spec("mmcv._ext") is None:
        ops = stand_in_module("mmcv.ops", rest_unavailable=True)
        mmcv.ops = ops
        sampling, attention = _mmcv_lite_op("point_sample"), _mmcv_lite_op("multi_scale_deform_attn")
        ops.point_sample, ops.bilinear_grid_sample = sampling.point_sample, sampling.bilinear_grid_sample
        ops.MultiScaleDeformableAttention = attention.MultiScaleDeformableAttention
        ops.multi_scale_deformable_attn_pytorch = attention.multi_scale_deformable_attn_pytorch
        sys.meta_path.insert(0, _OpsSubmodules())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            import mmcv.cnn.bricks.transformer as transformer
        transformer.MultiScaleDeformableAttention = attention.MultiScaleDeformableAttention  # full mmcv's import
    if importlib.util.find_spec("mmpretrain") is not None:
        # mmdet imports mmpretrain.models, whose BLIP/CLIP models (enabled when transformers is installed) fail on
        # transformers 5 at import: take mmpretrain's own "multimodal extras missing" branch
        import mmpretrain.utils.dependency as dependency

        dependency.WITH_MULTIMODAL = False
    import_mmseg()


def mmseg_mask2former(_root: Optional[str]) -> nn.Module:
    """mmseg's model of MMSEG_CONFIG (SyncBN as BN, no pretrained weights) built from a ConfigDict (mmdet's head reads
    its config's attributes), with its own init_weights()."""
    import_mmseg_with_mmdet()
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS

    config = copy.deepcopy(mmseg_model_config(MMSEG_CONFIG))
    config.pop("data_preprocessor", None)
    config["pretrained"] = None
    config["backbone"].pop("init_cfg", None)
    config["backbone"]["norm_cfg"] = dict(config["backbone"]["norm_cfg"], type="BN")
    config["test_cfg"] = dict(mode="whole")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = MODELS.build(ConfigDict(config))
        quiet_init_weights(model)
    mmseg_mask2former.statistics = input_statistics(MMSEG_CONFIG)
    return model


def mmseg_scores(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """mmseg's whole-image inference: Mask2FormerHead.predict's scores at the (unpadded) input size."""
    mean, std = mmseg_mask2former.statistics
    return mmseg_logits(model, normalized(images, mean, std))


register_parity_reference(ParityReference(
    name="mmseg_mask2former", converter="mmseg_mask2former",
    reference=f"mmsegmentation's {MMSEG_CONFIG} (mmdet 3.3.0's Mask2FormerHead), whole-image inference",
    requires=Requirement(modules=("mmseg", "mmdet"), install=MMDET_INSTALL), build=mmseg_mask2former,
    logits=mmseg_scores, checkpoint=mmseg_checkpoint, ours=decode_head_logits,
    compared=SCORES + " at the input size, neither side padded (Mask2FormerHead.predict)",
    notes="mmcv.ops stubbed as for every mmseg reference, with mmcv-lite's pure-PyTorch point_sample and "
          "MultiScaleDeformableAttention; mmdet must import before mmseg does"))
