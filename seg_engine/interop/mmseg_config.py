"""mmsegmentation 1.x config files (Python, with their ``_base_`` chain) to this toolbox's recipe keys.

No mmengine needed: a config file is executed with a few harmless builtins and no imports, its
``_base_`` files first, and merged as mmengine does (dicts key by key, ``_delete_=True`` replaces,
everything else overrides). :func:`translate` maps what this toolbox has (EncoderDecoder with
ResNetV1c or ResNet (torchvision's stem); the decode heads whose types are registered in ``MMSEG_HEADS`` (the core's FCNHead, and each
project's) and an FCN auxiliary head; the JPU neck; ADE20K and Cityscapes; the resize,
crop, flip and photometric augmentations; SGD/AdamW with poly; whole/slide test) and raises ONE
ValueError listing everything else it met. Necks translate through ``MMSEG_NECKS`` (the core's JPU and FPN). Settings that do not change training or evaluation
(logging, visualisation, runtime environment, TTA pipeline) are listed as ignored in the output.
"""
from __future__ import annotations

import math
import os
import re
from typing import Any, Dict, List, Optional, Set, Tuple

from .registries import MMSEG_HEADS, MMSEG_NECKS

__all__ = ["load_mmseg_config", "translate", "to_yaml", "MmsegImportError", "fcn_head", "fpn_neck", "jpu_neck"]


class MmsegImportError(ValueError):
    """The config has settings this toolbox cannot express; the message lists all of them."""


_SAFE_BUILTINS = {name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
                  for name in ("dict", "list", "tuple", "range", "len", "min", "max", "int", "float", "str",
                               "bool", "abs", "round", "sum", "zip", "enumerate", "True", "False", "None")}


def _merge(base: Any, child: Any) -> Any:
    """mmengine's merge: dicts merge key by key unless the child says ``_delete_=True``."""
    if isinstance(base, dict) and isinstance(child, dict) and not child.get("_delete_", False):
        out = dict(base)
        for key, value in child.items():
            out[key] = _merge(base[key], value) if key in base else _strip_delete(value)
        return out
    return _strip_delete(child)


def _strip_delete(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_delete(v) for k, v in value.items() if k != "_delete_"}
    if isinstance(value, (list, tuple)):
        return type(value)(_strip_delete(v) for v in value)
    return value


def load_mmseg_config(path: str) -> Dict[str, Any]:
    """The merged variables of an mmsegmentation 1.x config file and its ``_base_`` files."""
    with open(path) as f:
        source = f.read()
    if re.search(r"^\s*(import|from)\s", source, re.M):
        raise MmsegImportError(
            f"{path}: imports are not supported (the 'new-style' read_base() configs); use the classic 1.x form"
        )
    namespace: Dict[str, Any] = {"__builtins__": _SAFE_BUILTINS}
    exec(compile(source, path, "exec"), namespace)  # noqa: S102 - a config file the user chose, no imports allowed
    own = {k: v for k, v in namespace.items() if not k.startswith("__") and k != "_base_"}
    bases = namespace.get("_base_", [])
    merged: Dict[str, Any] = {}
    for base in [bases] if isinstance(bases, str) else bases:
        merged = _merge(merged, load_mmseg_config(os.path.join(os.path.dirname(path), base)))
    return _merge(merged, own)


# Top-level variables that do not change what is trained or how it is evaluated.
IGNORED = (
    "default_scope", "env_cfg", "vis_backends", "visualizer", "log_processor", "log_level", "load_from",
    "resume", "tta_model", "tta_pipeline", "img_ratios", "val_cfg", "test_cfg", "val_evaluator",
    "test_evaluator", "test_dataloader", "norm_cfg", "data_preprocessor", "crop_size", "dataset_type",
    "data_root", "train_pipeline", "test_pipeline", "optimizer", "randomness",
)
IGNORED_HOOKS = ("timer", "logger", "param_scheduler", "sampler_seed", "visualization")
# mmsegmentation's ImageNet initialisations -> (MODEL.WEIGHTS: the same name, which seg_engine.checkpoint
# resolves and downloads; converter).
PRETRAINED = {
    "open-mmlab://resnet18_v1c": ("open-mmlab://resnet18_v1c", "mmseg_resnet_v1c"),
    "open-mmlab://resnet50_v1c": ("open-mmlab://resnet50_v1c", "mmseg_resnet_v1c"),
    "open-mmlab://resnet101_v1c": ("open-mmlab://resnet101_v1c", "mmseg_resnet_v1c"),
    # the r18b/r50b/r101b models' ImageNet files: torchvision's, loaded as they are under backbone.
    "torchvision://resnet18": ("torchvision://resnet18", ""),
    "torchvision://resnet50": ("torchvision://resnet50", ""),
    "torchvision://resnet101": ("torchvision://resnet101", ""),
}
DATASETS = {  # (dataset type, reduce_zero_label) -> (train name, val name)
    ("ADE20KDataset", True): ("ade20k_150_train", "ade20k_150_val"),
    ("CityscapesDataset", False): ("cityscapes_fine_train", "cityscapes_fine_val"),
    ("PascalVOCDataset", False): ("voc2012_train", "voc2012_val"),
}
# mmsegmentation's Pascal VOC 2012 + SBD ("voc12aug"): VOC's train list and SBD's aug list, concatenated.
VOC_AUG_LISTS = ("ImageSets/Segmentation/train.txt", "ImageSets/Segmentation/aug.txt")
VOC_AUG_TRAIN = "voc2012_aug_train"


class _Translator:
    """Collects recipe keys and the settings it cannot express, then raises them all at once."""

    def __init__(self, cfg: Dict[str, Any], name: str, num_gpus: Optional[int]) -> None:
        self.cfg, self.name, self.num_gpus = cfg, name, num_gpus
        self.keys: Dict[str, Any] = {}
        self.problems: List[str] = []
        self.ignored: List[str] = []

    def set(self, key: str, value: Any) -> None:
        self.keys[key] = value

    def bad(self, where: str, what: Any) -> None:
        self.problems.append(f"{where}={what!r}")

    def expect(self, where: str, value: Any, allowed: Tuple[Any, ...]) -> None:
        if value not in allowed:
            self.bad(where, value)

    def check_unknown(self, where: str, d: Dict[str, Any], known: Tuple[str, ...]) -> None:
        for key in d:
            if key not in known:
                self.bad(f"{where}.{key}", d[key])

    # ------------------------------------------------------------------ model
    def norm(self, where: str, norm_cfg: Optional[Dict[str, Any]]) -> str:
        kind = (norm_cfg or {}).get("type", "BN")
        if kind == "SyncBN":
            self.keys.setdefault("MODEL.SYNC_BN", True)
            if self.keys["MODEL.SYNC_BN"] is not True:
                self.bad(f"{where}.norm_cfg.type", kind + " mixed with BN")
            return "BN"
        if kind == "BN":
            self.keys.setdefault("MODEL.SYNC_BN", False)
            if self.keys["MODEL.SYNC_BN"] is not False:
                self.bad(f"{where}.norm_cfg.type", kind + " mixed with SyncBN")
            return "BN"
        self.bad(f"{where}.norm_cfg.type", kind)
        return "BN"

    def model(self) -> List[str]:
        model = dict(self.cfg.get("model", {}))
        self.expect("model.type", model.get("type"), ("EncoderDecoder",))
        pre = model.get("data_preprocessor", self.cfg.get("data_preprocessor", {}))
        self.check_unknown("model.data_preprocessor", pre,
                           ("type", "mean", "std", "bgr_to_rgb", "pad_val", "seg_pad_val", "size"))
        if not pre.get("bgr_to_rgb", False):
            self.bad("model.data_preprocessor.bgr_to_rgb", pre.get("bgr_to_rgb"))
        self.expect("model.data_preprocessor.pad_val", pre.get("pad_val", 0), (0,))
        self.set("MODEL.PIXEL_MEAN", [float(v) for v in pre.get("mean", [123.675, 116.28, 103.53])])
        self.set("MODEL.PIXEL_STD", [float(v) for v in pre.get("std", [58.395, 57.12, 57.375])])
        self.set("MODEL.IGNORE_VALUE", int(pre.get("seg_pad_val", 255)))
        pretrained = model.get("pretrained")
        if pretrained:
            if pretrained in PRETRAINED:
                self.set("MODEL.WEIGHTS", PRETRAINED[pretrained][0])
                self.set("MODEL.WEIGHTS_FORMAT", PRETRAINED[pretrained][1])
            else:
                self.bad("model.pretrained", pretrained)
        features = self.heads(model)
        neck = model.get("neck")
        if neck and neck.get("type") in MMSEG_NECKS:
            features = MMSEG_NECKS.get(neck["type"])(self, neck, features)
        elif neck:
            self.bad("model.neck.type", neck.get("type"))
        self.backbone(model.get("backbone", {}), features)
        self.check_unknown("model", model, ("type", "data_preprocessor", "pretrained", "backbone", "decode_head",
                                            "auxiliary_head", "train_cfg", "test_cfg", "neck"))
        if model.get("train_cfg"):
            self.bad("model.train_cfg", model["train_cfg"])
        self.test_mode(model.get("test_cfg", {}))
        return features

    def backbone(self, b: Dict[str, Any], features: List[str]) -> None:
        self.expect("model.backbone.type", b.get("type"), ("ResNetV1c", "ResNet"))
        self.check_unknown("model.backbone", b, ("type", "depth", "num_stages", "out_indices", "dilations", "strides",
                                                 "norm_cfg", "norm_eval", "style", "contract_dilation"))
        self.expect("model.backbone.depth", b.get("depth"), (18, 34, 50, 101, 152))
        self.expect("model.backbone.num_stages", b.get("num_stages", 4), (4,))
        self.expect("model.backbone.style", b.get("style", "pytorch"), ("pytorch",))
        self.expect("model.backbone.norm_eval", b.get("norm_eval", False), (False,))
        strides = tuple(b.get("strides", (1, 2, 2, 2)))
        dilations = tuple(b.get("dilations", (1, 1, 1, 1)))
        output_stride = 4 * math.prod(strides)
        if len(strides) != 4 or strides[0] != 1 or any(s not in (1, 2) for s in strides) or output_stride not in (8, 16, 32):
            self.bad("model.backbone.strides", strides)
        self.set("MODEL.RESNETS.DEPTH", b.get("depth"))
        if b.get("type") == "ResNet":  # the r*b models: torchvision's 7x7 stem (conv1, bn1)
            self.set("MODEL.RESNETS.STEM", "basic")
            self.set("MODEL.RESNETS.STEM_WIDTH", 0)
            if self.keys.get("MODEL.WEIGHTS_FORMAT") == "mmseg_resnet_v1c":  # a deep stem's file on a 7x7 stem
                self.bad("model.pretrained", f"{self.keys['MODEL.WEIGHTS']} (a ResNetV1c file) on a ResNet")
        else:
            if str(self.keys.get("MODEL.WEIGHTS", "")).startswith("torchvision://"):  # and the other way round
                self.bad("model.pretrained", f"{self.keys['MODEL.WEIGHTS']} (a ResNet file) on a ResNetV1c")
            self.set("MODEL.RESNETS.STEM", "deep")
            self.set("MODEL.RESNETS.STEM_WIDTH", 32)  # ResNetV1c: stem_channels 64 as (32, 32, 64)
        self.set("MODEL.RESNETS.BASE_WIDTH", 64)
        self.set("MODEL.RESNETS.NORM", self.norm("model.backbone", b.get("norm_cfg")))
        self.set("MODEL.RESNETS.OUTPUT_STRIDE", output_stride)
        # Contracting a dilation of 1 changes nothing: the default ("full") then.
        contract = b.get("contract_dilation", False) and any(d > 1 for d in dilations)
        self.set("MODEL.RESNETS.FIRST_BLOCK_DILATION", "half" if contract else "full")
        implied = {8: (1, 1, 2, 4), 16: (1, 1, 1, 2), 32: (1, 1, 1, 1)}.get(output_stride)
        self.set("MODEL.RESNETS.DILATIONS", [] if dilations == implied else list(dilations))
        if b.get("depth") in (18, 34) and max(dilations) > 1:  # mmseg's BasicBlock dilates its first conv only
            self.set("MODEL.RESNETS.BASIC_BLOCK_DILATION", "first")
        self.set("MODEL.RESNETS.OUT_FEATURES", features)
        self.set("MODEL.BACKBONE.NAME", "build_resnet_backbone")
        self.set("MODEL.BACKBONE.FREEZE_AT", 0)

    def loss(self, where: str, head: Dict[str, Any], main: bool) -> float:
        loss = head.get("loss_decode", {})
        if isinstance(loss, (list, tuple)):
            self.bad(f"{where}.loss_decode", [item.get("type") for item in loss])
            return 1.0
        self.expect(f"{where}.loss_decode.type", loss.get("type"), ("CrossEntropyLoss",))
        self.expect(f"{where}.loss_decode.use_sigmoid", loss.get("use_sigmoid", False), (False,))
        self.check_unknown(f"{where}.loss_decode", loss,
                           ("type", "use_sigmoid", "loss_weight", "avg_non_ignore", "class_weight", "loss_name"))
        average = "valid" if loss.get("avg_non_ignore", False) else "all"
        weights = list(loss.get("class_weight") or [])
        if main:
            self.set("MODEL.LOSS.AVERAGE", average)
            self.set("MODEL.LOSS.CLASS_WEIGHTS", weights)
        elif (average, weights) != (self.keys.get("MODEL.LOSS.AVERAGE"), self.keys.get("MODEL.LOSS.CLASS_WEIGHTS")):
            self.bad(f"{where}.loss_decode", "an average or class weights other than the decode head's")
        return float(loss.get("loss_weight", 1.0))

    def stage(self, where: str, index: int) -> int:
        """The backbone stage (0..3) a head's ``in_index`` reads: it indexes the backbone's out_indices
        (the JPU neck passes them through, its output replacing the last)."""
        out_indices = tuple(self.cfg.get("model", {}).get("backbone", {}).get("out_indices", (0, 1, 2, 3)))
        try:
            return out_indices[index]
        except IndexError:
            self.bad(f"{where}.in_index", index)
            return 3

    def head_common(self, where: str, head: Dict[str, Any], prefix: str, main: bool) -> int:
        index = head.get("in_index", -1)
        index = self.stage(where, index[-1] if isinstance(index, (list, tuple)) else index)
        self.set(f"{prefix}.IN_FEATURES", [f"res{index + 2}"])
        self.set(f"{prefix}.CHANNELS", head.get("channels"))
        self.set(f"{prefix}.DROPOUT", float(head.get("dropout_ratio", 0.1)))
        self.set(f"{prefix}.NORM", self.norm(where, head.get("norm_cfg")))
        self.set(f"{prefix}.LOSS_WEIGHT", self.loss(where, head, main))
        if main:
            self.set("MODEL.NUM_CLASSES", head.get("num_classes"))
            self.set("MODEL.ALIGN_CORNERS", bool(head.get("align_corners", False)))
        else:
            if head.get("num_classes") != self.keys.get("MODEL.NUM_CLASSES"):
                self.bad(f"{where}.num_classes", head.get("num_classes"))
            if bool(head.get("align_corners", False)) != self.keys.get("MODEL.ALIGN_CORNERS"):
                self.bad(f"{where}.align_corners", head.get("align_corners"))
        self.expect(f"{where}.act_cfg", head.get("act_cfg", {"type": "ReLU"}), ({"type": "ReLU"},))
        return index

    HEAD_COMMON = ("type", "in_channels", "in_index", "channels", "dropout_ratio", "num_classes", "norm_cfg",
                   "align_corners", "loss_decode", "act_cfg")

    def heads(self, model: Dict[str, Any]) -> List[str]:
        """The decode head through the translator its type registered in MMSEG_HEADS, and an FCN auxiliary head."""
        head = model.get("decode_head", {})
        kind = head.get("type")
        used = {self.head_common("model.decode_head", head, "MODEL.HEAD", main=True)}
        self.set("MODEL.META_ARCHITECTURE", "EncoderDecoder")
        if kind in MMSEG_HEADS:
            used |= set(MMSEG_HEADS.get(kind)(self, head))
        else:
            self.bad("model.decode_head.type", kind)
        aux = model.get("auxiliary_head")
        self.set("MODEL.AUX_HEADS", ["AUX_HEAD"] if aux else [])
        if isinstance(aux, list):
            self.bad("model.auxiliary_head", [a.get("type") for a in aux])
        elif aux:
            self.expect("model.auxiliary_head.type", aux.get("type"), ("FCNHead",))
            self.check_unknown("model.auxiliary_head", aux, self.HEAD_COMMON + ("num_convs", "concat_input", "kernel_size",
                                                                               "dilation"))
            self.expect("model.auxiliary_head.concat_input", aux.get("concat_input", True), (False,))
            self.expect("model.auxiliary_head.kernel_size", aux.get("kernel_size", 3), (3,))
            self.set("MODEL.AUX_HEAD.NAME", "FCNHead")
            self.set("MODEL.AUX_HEAD.NUM_CONVS", aux.get("num_convs", 2))
            self.set("MODEL.AUX_HEAD.DILATION", int(aux.get("dilation", 1)))
            used.add(self.head_common("model.auxiliary_head", aux, "MODEL.AUX_HEAD", main=False))
        return [f"res{i + 2}" for i in sorted(used)]

    def test_mode(self, test_cfg: Dict[str, Any]) -> None:
        mode = test_cfg.get("mode", "whole")
        self.set("TEST.MODE", mode)
        if mode == "slide":
            self.set("TEST.CROP_SIZE", tuple(test_cfg["crop_size"]))
            self.set("TEST.STRIDE", tuple(test_cfg["stride"]))
        elif mode != "whole":
            self.bad("model.test_cfg.mode", mode)
        self.set("TEST.SCALES", (1.0,))
        self.set("TEST.FLIP", False)
        self.set("TEST.AGGREGATE", "prob")

    # ------------------------------------------------------------------ data
    def data(self) -> None:
        train = self.cfg.get("train_dataloader", {})
        val = self.cfg.get("val_dataloader", {})
        names = []
        for where, loader in (("train_dataloader", train), ("val_dataloader", val)):
            dataset = loader.get("dataset", {})
            if self.voc_aug(dataset):
                names.append(VOC_AUG_TRAIN if where == "train_dataloader" else None)
                continue
            pipeline = dataset.get("pipeline", [])
            reduce = any(t.get("reduce_zero_label", False) for t in pipeline if t.get("type") == "LoadAnnotations")
            key = (dataset.get("type"), reduce)
            if key not in DATASETS:
                self.bad(f"{where}.dataset.type", f"{key[0]} (reduce_zero_label={key[1]})")
                names.append(None)
            else:
                names.append(DATASETS[key][0 if where == "train_dataloader" else 1])
        if names[0]:
            self.set("DATASETS.TRAIN", (names[0],))
        if names[1]:
            self.set("DATASETS.TEST", (names[1],))
        self.set("DATALOADER.NUM_WORKERS", int(train.get("num_workers", 2)))
        gpus = self.num_gpus
        if gpus is None:
            match = re.search(r"(\d+)xb(\d+)", self.name)
            gpus = int(match.group(1)) if match else None
        if gpus is None:
            self.bad("train_dataloader.batch_size", "per GPU; the number of GPUs is not in the file name "
                     "(NxbM): pass num_gpus")
        else:
            self.set("SOLVER.IMS_PER_BATCH", gpus * int(train.get("batch_size", 2)))
        self.set("TEST.IMS_PER_BATCH", int(val.get("batch_size", 1)))
        train_set = train.get("dataset", {})
        self.train_pipeline(train_set["datasets"][0].get("pipeline", []) if self.voc_aug(train_set) else train_set.get("pipeline", []))
        self.test_pipeline(val.get("dataset", {}).get("pipeline", []))

    @staticmethod
    def voc_aug(dataset: Dict[str, Any]) -> bool:
        """Whether a dataset is mmsegmentation's VOC 2012 + SBD: a ConcatDataset of VOC's train and aug lists with
        one pipeline."""
        parts = dataset.get("datasets", []) if dataset.get("type") == "ConcatDataset" else []
        return (tuple(d.get("ann_file") for d in parts) == VOC_AUG_LISTS
                and all(d.get("type") == "PascalVOCDataset" and d.get("pipeline") == parts[0].get("pipeline") for d in parts))

    def train_pipeline(self, pipeline: List[Dict[str, Any]]) -> None:
        self.set("INPUT.TRAIN.ROTATION", (0.0, 0.0))
        self.set("INPUT.TRAIN.BLUR_PROB", 0.0)
        self.set("INPUT.TRAIN.FLIP", False)
        self.set("INPUT.TRAIN.PHOTOMETRIC", False)
        self.set("INPUT.TRAIN.CAT_MAX_RATIO", 1.0)
        for i, t in enumerate(pipeline):
            where, kind = f"train_pipeline[{i}]", t.get("type")
            if kind in ("LoadImageFromFile", "LoadAnnotations", "PackSegInputs"):
                continue
            if kind == "RandomResize" and t.get("keep_ratio", False):
                self.set("INPUT.TRAIN.RESIZE_MODE", "scale")
                self.set("INPUT.TRAIN.SCALE", tuple(t["scale"]))
                self.set("INPUT.TRAIN.RATIO_RANGE", tuple(t.get("ratio_range") or (1.0, 1.0)))
            elif kind == "RandomCrop":
                self.set("INPUT.TRAIN.CROP_SIZE", tuple(t["crop_size"]))
                self.set("INPUT.TRAIN.CAT_MAX_RATIO", float(t.get("cat_max_ratio", 1.0)))
            elif kind == "RandomFlip" and t.get("prob") == 0.5 and t.get("direction", "horizontal") == "horizontal":
                self.set("INPUT.TRAIN.FLIP", True)
            elif kind == "PhotoMetricDistortion" and len(t) == 1:
                self.set("INPUT.TRAIN.PHOTOMETRIC", True)
            elif kind == "Pad" and set(t) == {"type", "size"} and tuple(t["size"]) == self.keys.get("INPUT.TRAIN.CROP_SIZE"):
                continue  # crops smaller than CROP_SIZE are padded (image 0, mask IGNORE_VALUE) in the batch
            else:
                self.bad(where, t)

    def test_pipeline(self, pipeline: List[Dict[str, Any]]) -> None:
        self.set("INPUT.TEST.RESIZE_MODE", "none")
        for i, t in enumerate(pipeline):
            kind = t.get("type")
            if kind in ("LoadImageFromFile", "LoadAnnotations", "PackSegInputs"):
                continue
            if kind == "Resize" and t.get("keep_ratio", False) and "scale" in t:
                self.set("INPUT.TEST.RESIZE_MODE", "scale")
                self.set("INPUT.TEST.SCALE", tuple(t["scale"]))
            else:
                self.bad(f"test_pipeline[{i}]", t)

    # ------------------------------------------------------------------ schedule
    def schedule(self) -> None:
        wrapper = self.cfg.get("optim_wrapper", {})
        self.expect("optim_wrapper.type", wrapper.get("type", "OptimWrapper"), ("OptimWrapper", "AmpOptimWrapper"))
        self.check_unknown("optim_wrapper", wrapper, ("type", "optimizer", "clip_grad", "loss_scale"))
        if wrapper.get("type") == "AmpOptimWrapper":  # autocast to float16 with a loss scale, dynamic or fixed
            scale = wrapper.get("loss_scale", "dynamic")
            fixed = isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0
            if scale != "dynamic" and not fixed:
                self.bad("optim_wrapper.loss_scale", scale)
            self.set("SOLVER.AMP.ENABLED", True)
            self.set("SOLVER.AMP.DTYPE", "float16")
            self.set("SOLVER.AMP.LOSS_SCALE", float(scale) if fixed else 0.0)
        if wrapper.get("clip_grad"):
            self.bad("optim_wrapper.clip_grad", wrapper["clip_grad"])
        opt = wrapper.get("optimizer", self.cfg.get("optimizer", {}))
        kind = opt.get("type")
        self.expect("optim_wrapper.optimizer.type", kind, ("SGD", "AdamW"))
        self.check_unknown("optim_wrapper.optimizer", opt, ("type", "lr", "momentum", "weight_decay", "betas"))
        self.set("SOLVER.OPTIMIZER", kind)
        self.set("SOLVER.BASE_LR", float(opt.get("lr", 0.01)))
        if kind == "SGD":
            self.set("SOLVER.MOMENTUM", float(opt.get("momentum", 0.0)))
        if "betas" in opt:
            self.set("SOLVER.BETAS", tuple(opt["betas"]))
        decay = float(opt.get("weight_decay", 0.0))  # without paramwise_cfg mmseg decays every parameter
        self.set("SOLVER.WEIGHT_DECAY", decay)
        self.set("SOLVER.WEIGHT_DECAY_NORM", decay)
        self.set("SOLVER.WEIGHT_DECAY_BIAS", decay)
        self.set("SOLVER.HEAD_LR_MULTIPLIER", 1.0)
        loop = self.cfg.get("train_cfg", {})
        self.expect("train_cfg.type", loop.get("type"), ("IterBasedTrainLoop",))
        max_iter = int(loop.get("max_iters", 0))
        self.set("SOLVER.MAX_ITER", max_iter)
        self.set("TEST.EVAL_PERIOD", int(loop.get("val_interval", 0)))
        schedulers = self.cfg.get("param_scheduler", [])
        schedulers = [schedulers] if isinstance(schedulers, dict) else list(schedulers)
        self.set("SOLVER.WARMUP_ITERS", 0)
        if len(schedulers) != 1 or schedulers[0].get("type") != "PolyLR":
            self.bad("param_scheduler", [s.get("type") for s in schedulers])
        else:
            s = schedulers[0]
            self.check_unknown("param_scheduler[0]", s, ("type", "eta_min", "power", "begin", "end", "by_epoch"))
            if s.get("begin", 0) != 0 or s.get("end", max_iter) != max_iter or s.get("by_epoch", True):
                self.bad("param_scheduler[0]", {k: s.get(k) for k in ("begin", "end", "by_epoch")})
            self.set("SOLVER.LR_SCHEDULER_NAME", "poly")
            self.set("SOLVER.POLY_POWER", float(s.get("power", 1.0)))
            self.set("SOLVER.MIN_LR", float(s.get("eta_min", 0.0)))
        hooks = self.cfg.get("default_hooks", {})
        for name, hook in hooks.items():
            if name == "checkpoint":
                self.set("SOLVER.CHECKPOINT_PERIOD", int(hook.get("interval", 0)))
            elif name in IGNORED_HOOKS:
                self.ignored.append(f"default_hooks.{name}")
            else:
                self.bad(f"default_hooks.{name}", hook.get("type"))

    def run(self) -> Dict[str, Any]:
        self.model()
        self.data()
        self.schedule()
        handled = ("model", "train_dataloader", "val_dataloader", "optim_wrapper", "param_scheduler", "train_cfg",
                   "default_hooks")
        for key in self.cfg:
            if key in IGNORED or (key in ("dataset_train", "dataset_aug") and self.voc_aug(self.cfg.get("train_dataloader", {}).get("dataset", {}))):
                self.ignored.append(key)
            elif key not in handled:
                self.bad(key, self.cfg[key])
        self.set("OUTPUT_DIR", f"./output/{self.name}")
        if self.problems:
            raise MmsegImportError(
                f"{self.name}: {len(self.problems)} settings have no equivalent here: " + "; ".join(self.problems)
            )
        return self.keys


def translate(cfg: Dict[str, Any], name: str, num_gpus: Optional[int] = None) -> Tuple[Dict[str, Any], List[str]]:
    """(recipe keys "A.B.C" -> value, the ignored settings) of a merged mmseg config named ``name``.

    ``num_gpus`` gives the total batch (mmseg's batch_size is per GPU); by default it is read from the
    file name's ``NxbM``. Raises :class:`MmsegImportError` listing every setting without an equivalent.
    """
    translator = _Translator(cfg, name, num_gpus)
    keys = translator.run()
    return keys, translator.ignored


def to_yaml(keys: Dict[str, Any], source: str, ignored: List[str]) -> str:
    """A recipe (no _BASE_: every translated key explicit) with a header naming the source and what was ignored."""
    import yaml

    tree: Dict[str, Any] = {}
    for dotted, value in keys.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = list(value) if isinstance(value, tuple) else value
    header = (f"# Translated from the mmsegmentation config {source} by tools/import_mmseg_config.py.\n"
              f"# Ignored (no effect on training or evaluation here): {', '.join(ignored) or 'nothing'}.\n")
    return header + yaml.safe_dump(tree, sort_keys=False, default_flow_style=None)


@MMSEG_HEADS.register("FCNHead")
def fcn_head(translator: _Translator, head: Dict[str, Any]) -> Set[int]:
    """mmseg's FCNHead: the core's FCNHead."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + ("num_convs", "concat_input",
                                                                                  "kernel_size", "dilation"))
    translator.expect("model.decode_head.kernel_size", head.get("kernel_size", 3), (3,))
    translator.set("MODEL.HEAD.NAME", "FCNHead")
    translator.set("MODEL.HEAD.NUM_CONVS", head.get("num_convs", 2))
    translator.set("MODEL.HEAD.CONCAT_INPUT", bool(head.get("concat_input", True)))
    translator.set("MODEL.HEAD.DILATION", int(head.get("dilation", 1)))
    return set()


@MMSEG_NECKS.register("JPU")
def jpu_neck(translator: _Translator, neck: Dict[str, Any], features: List[str]) -> List[str]:
    """FastFCN's JPU on res3..res5: MODEL.NECK.NAME "JPU" and MODEL.JPU."""
    translator.check_unknown("model.neck", neck, ("type", "in_channels", "mid_channels", "start_level", "end_level",
                                                  "dilations", "align_corners", "norm_cfg", "act_cfg"))
    if (neck.get("start_level", 0), neck.get("end_level", -1)) != (0, -1) or len(neck.get("in_channels", ())) != 3:
        translator.bad("model.neck", {k: neck.get(k) for k in ("in_channels", "start_level", "end_level")})
    if bool(neck.get("align_corners", False)) != translator.keys.get("MODEL.ALIGN_CORNERS"):
        translator.bad("model.neck.align_corners", neck.get("align_corners"))
    translator.set("MODEL.NECK.NAME", "JPU")
    translator.set("MODEL.JPU.IN_FEATURES", ["res3", "res4", "res5"])
    translator.set("MODEL.JPU.WIDTH", int(neck.get("mid_channels", 512)))
    translator.set("MODEL.JPU.DILATIONS", tuple(neck.get("dilations", (1, 2, 4, 8))))
    translator.set("MODEL.JPU.NORM", translator.norm("model.neck", neck.get("norm_cfg")))
    return sorted(set(features) | {"res3", "res4", "res5"})


@MMSEG_NECKS.register("FPN")
def fpn_neck(translator: _Translator, neck: Dict[str, Any], features: List[str]) -> List[str]:
    """mmseg's FPN on the four ResNet stages without extra levels: the core's FPN neck (p2..p5)."""
    translator.check_unknown("model.neck", neck, ("type", "in_channels", "out_channels", "num_outs", "start_level",
                                                  "end_level", "add_extra_convs", "norm_cfg", "upsample_cfg"))
    levels = len(neck.get("in_channels", ()))
    if (levels, neck.get("num_outs"), neck.get("start_level", 0), neck.get("end_level", -1)) != (4, 4, 0, -1):
        translator.bad("model.neck", {k: neck.get(k) for k in ("in_channels", "num_outs", "start_level", "end_level")})
    translator.expect("model.neck.add_extra_convs", neck.get("add_extra_convs", False), (False,))
    translator.expect("model.neck.norm_cfg", neck.get("norm_cfg"), (None,))
    translator.expect("model.neck.upsample_cfg", neck.get("upsample_cfg", {"mode": "nearest"}), ({"mode": "nearest"},))
    stages = ["res2", "res3", "res4", "res5"]
    translator.set("MODEL.NECK.NAME", "FPN")
    translator.set("MODEL.FPN.IN_FEATURES", stages)
    translator.set("MODEL.FPN.OUT_CHANNELS", int(neck.get("out_channels", 256)))
    translator.set("MODEL.FPN.NORM", "")
    translator.set("MODEL.FPN.OUTPUT_CONVS", True)
    translator.set("MODEL.FPN.FUSE_TYPE", "sum")
    return sorted((set(features) - {"p2", "p3", "p4", "p5"}) | set(stages))
