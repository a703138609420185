"""SegModel: a trained model in three lines.

    from seg_engine import SegModel
    m = SegModel.from_pretrained("pspnet_r50-d8_4xb4-80k_ade20k-512x512")   # a trained zoo's name, or
    m = SegModel.from_config("output/x/config.yaml", weights="output/x/model_final.pth")
    labels = m.predict(rgb_uint8)                      # H x W class ids, the config's test protocol
    overlay = m.visualize(rgb_uint8, labels)           # coloured with the dataset's palette
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .config import CfgNode, load_config
from .data import MetadataCatalog
from .data.datasets import register_folder_from_cfg
from .data.palette import display_palette
from .engine.defaults import DefaultPredictor
from .utils.visualizer import overlay


class SegModel:
    """A model with its weights, test protocol and the class names and palette of its dataset."""

    def __init__(self, cfg: CfgNode) -> None:
        self.cfg = cfg.clone()
        self.cfg.freeze()
        self.predictor = DefaultPredictor(self.cfg)
        register_folder_from_cfg(self.cfg)
        names = list(self.cfg.DATASETS.TEST) + list(self.cfg.DATASETS.TRAIN)
        meta = MetadataCatalog.get(names[0]) if names else None
        n = self.cfg.MODEL.NUM_CLASSES
        classes = meta.get("classes") if meta is not None else None
        self.classes = list(classes) if classes is not None and len(classes) == n else [str(i) for i in range(n)]
        self.palette = display_palette(self.cfg, names[0] if names else None)
        self.ignore_label = meta.get("ignore_label", 255) if meta is not None else 255

    @classmethod
    def from_config(
        cls,
        config: Union[str, CfgNode],
        weights: Optional[str] = None,
        device: Optional[str] = None,
        opts: Sequence[str] = (),
        plugins: Sequence[str] = (),
    ) -> "SegModel":
        """A config file (a run's ``config.yaml`` or a recipe) or node; ``weights`` overrides MODEL.WEIGHTS (a path,
        a URL or a name such as ``zoo://NAME``, docs/model_zoo.md), ``device`` MODEL.DEVICE, ``opts`` are KEY VALUE
        pairs; ``plugins`` are projects that are not installed."""
        return cls(load_config(config, opts, plugins=plugins, weights=weights, device=device))

    @classmethod
    def from_pretrained(
        cls, name: str, device: Optional[str] = None, opts: Sequence[str] = (), plugins: Sequence[str] = ()
    ) -> "SegModel":
        """A trained model by its name in the zoo (``python tools/model_zoo.py --pretrained`` lists them): the
        recipe that rebuilds it with its source's test pipeline, its weights (downloaded once), the class names
        and palette of its dataset. ``opts`` are KEY VALUE pairs applied last."""
        from .model_zoo.trained import trained_config

        return cls(trained_config(name, opts, plugins=plugins, device=device))

    def predict(self, image: np.ndarray, return_scores: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """H x W x 3 uint8 RGB -> H x W class ids (uint8, or int32 past 255 classes); with ``return_scores``
        also the C x H x W float32 scores the ids are the argmax of (softmax averages or logits, as the
        config's test protocol aggregates them)."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"predict takes an H x W x 3 uint8 RGB image, got shape {image.shape} and dtype {image.dtype}")
        scores = self.predictor(image)["sem_seg"]
        labels = scores.argmax(dim=0).cpu().numpy().astype(np.uint8 if len(self.classes) <= 256 else np.int32)
        if return_scores:
            return labels, scores.float().cpu().numpy()
        return labels

    def visualize(self, image: np.ndarray, labels: np.ndarray, opacity: float = 0.5) -> np.ndarray:
        """``image`` blended with the palette colours of ``labels`` (H x W x 3 uint8)."""
        return overlay(image, labels, self.palette, opacity, self.ignore_label)
