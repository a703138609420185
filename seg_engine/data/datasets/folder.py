"""Register a dataset that is a folder of images and a folder of masks paired by file name."""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ..catalog import DatasetCatalog, MetadataCatalog
from ..errors import DatasetError
from ..palette import palette_of_png

__all__ = ["load_folder", "register_folder_dataset", "register_folder_from_cfg"]

_MAX_LISTED = 5


def _layout(image_dir: str, mask_dir: str, image_ext: str, mask_ext: str) -> str:
    return f"expected layout: {image_dir}/<name>{image_ext} with masks {mask_dir}/<name>{mask_ext}"


def _scan(folder: str, ext: str) -> Dict[str, str]:
    """Map each file's path relative to ``folder``, less ``ext``, to its full path (subfolders included)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames.sort()
        for name in filenames:
            if name.endswith(ext) and len(name) > len(ext):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, folder)
                found[rel[: len(rel) - len(ext)]] = path
    return found


def _found_instead(folder: str) -> str:
    """What the folder holds instead, e.g. " (it holds 4 .png files; set DATASETS.FOLDER.IMAGE_EXT)"."""
    counts: Dict[str, int] = {}
    for _, _, filenames in os.walk(folder, followlinks=True):
        for name in filenames:
            ext = os.path.splitext(name)[1].lower() or name
            counts[ext] = counts.get(ext, 0) + 1
    if not counts:
        return " (the folder is empty)"
    found = ", ".join(f"{n} {ext}" for ext, n in sorted(counts.items(), key=lambda kv: -kv[1])[:3])
    return f" (it holds {found} files; set DATASETS.FOLDER.IMAGE_EXT / MASK_EXT to their extension)"


def _unmatched(stems: List[str], what: str) -> str:
    shown = ", ".join(stems[:_MAX_LISTED]) + (", ..." if len(stems) > _MAX_LISTED else "")
    return f"{len(stems)} {what}: {shown}"


def load_folder(image_dir: str, mask_dir: str, image_ext: str = ".jpg", mask_ext: str = ".png",
                masks_optional: bool = False) -> List[dict]:
    """Dataset dicts of the images in ``image_dir`` and their same-named masks in ``mask_dir``, sorted.

    ``<image_dir>/a/b.jpg`` pairs with ``<mask_dir>/a/b.png``; the extensions may be longer suffixes such
    as ``_gtFine_labelTrainIds.png``. Sizes come from the image headers (left out where a header cannot
    be read); pixels are not decoded. With ``masks_optional`` a missing ``mask_dir`` gives the images
    alone (a test split to predict, not to evaluate).
    """
    layout = _layout(image_dir, mask_dir, image_ext, mask_ext)
    if masks_optional and os.path.isdir(image_dir) and not os.path.isdir(mask_dir):
        images = _scan(image_dir, image_ext)
        if not images:
            raise DatasetError(f"no {image_ext} images in {image_dir}{_found_instead(image_dir)}; {layout}")
        return [{"file_name": images[stem]} for stem in sorted(images)]
    for kind, folder in (("image", image_dir), ("mask", mask_dir)):
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{kind} folder {folder} does not exist; {layout}")
    images = _scan(image_dir, image_ext)
    masks = _scan(mask_dir, mask_ext)
    if not images:
        raise DatasetError(f"no {image_ext} images in {image_dir}{_found_instead(image_dir)}; {layout}")
    problems = []
    no_mask = sorted(images.keys() - masks.keys())
    if no_mask:
        problems.append(_unmatched(no_mask, f"image(s) without a {mask_ext} mask in {mask_dir}"))
    no_image = sorted(masks.keys() - images.keys())
    if no_image:
        problems.append(_unmatched(no_image, f"mask(s) without a {image_ext} image in {image_dir}"))
    if problems:
        raise DatasetError("; ".join(problems) + f"; {layout}")
    dicts = []
    for stem in sorted(images):
        d = {"file_name": images[stem], "sem_seg_file_name": masks[stem]}
        try:
            with Image.open(images[stem]) as im:
                d["width"], d["height"] = im.size
        except (OSError, SyntaxError, ValueError):
            pass  # an unreadable header: the mapper reports the file (or skips it with SKIP_BAD_SAMPLES)
        dicts.append(d)
    return dicts


def default_palette(n: int) -> List[Tuple[int, int, int]]:
    """Distinct colours: the bits of the class index spread over R, G and B (the PASCAL VOC scheme)."""
    palette = []
    for i in range(n):
        rgb = [0, 0, 0]
        for bit in range(8):
            for c in range(3):
                rgb[c] |= ((i >> (3 * bit + c)) & 1) << (7 - bit)
        palette.append(tuple(rgb))
    return palette


def register_folder_dataset(
    name: str,
    image_dir: str,
    mask_dir: str,
    classes: Sequence[str],
    image_ext: str = ".jpg",
    mask_ext: str = ".png",
    ignore_label: int = 255,
    palette: Optional[Sequence[Tuple[int, int, int]]] = None,
    masks_optional: bool = False,
    label_map: Optional[Dict[int, int]] = None,
    colour_masks: bool = False,
) -> None:
    """Register ``name`` as the pairs of :func:`load_folder`; the folders are scanned on first ``get``.

    ``label_map`` maps raw mask values to train ids (``{255: 1}`` for binary masks stored as 0/255);
    values it does not list stay as they are. With ``colour_masks`` RGB masks are decoded through
    ``palette`` (colour i is raw value i, then ``label_map``); index and grayscale masks stay as they are."""
    if not classes:
        raise ValueError(f"register_folder_dataset({name!r}): classes must list the class names")
    if colour_masks and palette is None:
        raise ValueError(f"register_folder_dataset({name!r}): colour_masks needs the palette of the masks")
    palette = [tuple(c) for c in palette] if palette is not None else default_palette(len(classes))
    if len(palette) < len(classes):
        raise ValueError(
            f"register_folder_dataset({name!r}): {len(palette)} palette colours for {len(classes)} classes"
        )
    DatasetCatalog.register(name, lambda: load_folder(image_dir, mask_dir, image_ext, mask_ext, masks_optional))
    meta = dict(classes=list(classes), palette=palette, ignore_label=ignore_label)
    if label_map:
        meta["label_map"] = lookup_table(label_map)
    if colour_masks:
        meta["mask_colours"] = tuple(palette)
    MetadataCatalog.get(name).set(**meta)


def lookup_table(label_map: Dict[int, int]) -> np.ndarray:
    """The identity table over raw values 0..max (at least 0..255), with ``label_map``'s entries changed;
    uint8 when every value fits, so the mapper can use OpenCV's LUT."""
    size = max(256, max(label_map) + 1)
    dtype = np.uint8 if size == 256 and max(label_map.values()) <= 255 else np.int64
    table = np.arange(size).astype(dtype)
    for raw, train_id in label_map.items():
        table[raw] = train_id
    return table


def register_folder_from_cfg(cfg) -> List[str]:
    """Register ``{NAME}_train``, ``{NAME}_val`` and ``{NAME}_test`` from ``cfg.DATASETS.FOLDER`` when NAME is set.

    The splits live in ``ROOT/IMAGE_DIR/{train,val,test}`` and ``ROOT/MASK_DIR/{train,val,test}``; the test
    split may have no masks (predictions only). PALETTE (or PALETTE_FILE) decodes colour masks and is the
    display palette. Names already registered are left alone. Returns the dataset names of the folder
    (empty when NAME is unset).
    """
    f = cfg.DATASETS.FOLDER
    if not f.NAME:
        return []
    palette = palette_of_png(os.path.expanduser(f.PALETTE_FILE)) if f.PALETTE_FILE else f.PALETTE or None
    names = []
    for split in ("train", "val", "test"):
        name = f"{f.NAME}_{split}"
        names.append(name)
        if name in DatasetCatalog:
            continue
        register_folder_dataset(
            name,
            os.path.join(f.ROOT, f.IMAGE_DIR, split),
            os.path.join(f.ROOT, f.MASK_DIR, split),
            list(f.CLASSES),
            image_ext=f.IMAGE_EXT,
            mask_ext=f.MASK_EXT,
            ignore_label=f.IGNORE_LABEL,
            masks_optional=split == "test",
            label_map={int(raw): int(train_id) for raw, train_id in f.LABEL_MAP},
            palette=palette,
            colour_masks=palette is not None,
        )
    return names
