"""``open-mmlab://NAME``: the names mmsegmentation's configs use for ImageNet backbones, with the URLs
copied verbatim from mmengine's ``mmengine/hub/openmmlab.json`` (commit 8b0e74d), and the converter
that loads each into our backbone.

Only the entries a converter here can load are listed: the ResNet v1c family (deep 32-32-64 stem,
MODEL.RESNETS.STEM_WIDTH 32). mmengine's table has no v1d entry (mmcls:// names those, in another layout).
"""
from __future__ import annotations

from typing import Dict, Tuple

# name -> (URL, converter)
OPEN_MMLAB_WEIGHTS: Dict[str, Tuple[str, str]] = {
    "resnet18_v1c": ("https://download.openmmlab.com/pretrain/third_party/resnet18_v1c-b5776b93.pth", "mmseg_resnet_v1c"),
    "resnet50_v1c": ("https://download.openmmlab.com/pretrain/third_party/resnet50_v1c-2cccc1ad.pth", "mmseg_resnet_v1c"),
    "resnet101_v1c": ("https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth", "mmseg_resnet_v1c"),
}
