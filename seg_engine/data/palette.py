"""Class colours: checked lists, the palette of a palette PNG, colour masks decoded to label values, and
the palette a run displays."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import DatasetError

Colour = Tuple[int, int, int]
_MAX_LISTED = 5


def as_colours(value: Any) -> Optional[List[Colour]]:
    """``value`` as a list of (R, G, B) with each channel in 0..255, or None when it is not one."""
    try:
        colours = [tuple(c) for c in value]
    except TypeError:
        return None
    ok = all(len(c) == 3 and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in c)
             for c in colours)
    return colours if ok else None


def palette_of_png(path: str) -> List[Colour]:
    """The colours of a palette PNG (mode P), entry i the colour of index i: the palette VOC-style index
    masks carry. Anything else raises DatasetError naming the file."""
    try:
        with Image.open(path) as image:
            mode, flat = image.mode, image.getpalette()
    except (OSError, UnidentifiedImageError, SyntaxError) as e:
        raise DatasetError(f"palette file {path} cannot be read: {e}") from None
    if mode != "P" or not flat:
        raise DatasetError(f"palette file {path} has mode {mode}; it must be a palette image (mode P, e.g. a "
                           "VOC-style index mask) whose palette gives the class colours")
    return [tuple(flat[i : i + 3]) for i in range(0, len(flat) - len(flat) % 3, 3)]


def _codes(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32, copy=False)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def colours_to_labels(rgb: np.ndarray, colours: Sequence[Colour], path: str = "") -> np.ndarray:
    """H x W x 3 colours -> H x W label values, colour ``colours[i]`` giving value i (the first entry
    wins where a palette repeats a colour). A colour outside ``colours`` raises
    :class:`~seg_engine.data.io.UnknownColourError` naming the file and the commonest unknown colours."""
    from .io import UnknownColourError

    table = _codes(np.asarray(colours, dtype=np.uint8).reshape(-1, 3))
    known_codes, first_index = np.unique(table, return_index=True)
    codes = _codes(rgb)
    position = np.minimum(np.searchsorted(known_codes, codes), len(known_codes) - 1)
    known = known_codes[position] == codes
    if not known.all():
        bad, counts = np.unique(codes[~known], return_counts=True)
        order = np.argsort(-counts, kind="stable")[:_MAX_LISTED]
        listed = ", ".join(f"({c >> 16}, {(c >> 8) & 255}, {c & 255}) x {n} px"
                           for c, n in zip(bad[order].tolist(), counts[order].tolist()))
        more = f" and {len(bad) - len(order)} more" if len(bad) > len(order) else ""
        raise UnknownColourError(f"mask {path} has {len(bad)} colour(s) that are not in the palette: {listed}{more}; "
                                 "add them to DATASETS.FOLDER.PALETTE (and LABEL_MAP them to the ignore label) or fix the masks")
    dtype = np.uint8 if len(table) <= 256 else np.uint16
    return first_index.astype(dtype)[position]


def display_palette(cfg, dataset_name: Optional[str]) -> List[Colour]:
    """The colours a run shows classes in: DATASETS.DISPLAY_PALETTE when set, else the dataset's own
    palette when it covers MODEL.NUM_CLASSES, else distinct default colours."""
    from .catalog import MetadataCatalog
    from .datasets.folder import default_palette

    n = cfg.MODEL.NUM_CLASSES
    if cfg.DATASETS.DISPLAY_PALETTE:
        return [tuple(c) for c in cfg.DATASETS.DISPLAY_PALETTE]
    own = MetadataCatalog.get(dataset_name).get("palette") if dataset_name else None
    return [tuple(c) for c in own] if own is not None and len(own) >= n else default_palette(n)
