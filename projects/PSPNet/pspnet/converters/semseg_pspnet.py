"""hszhao/semseg's trained PSPNet checkpoints (``train_epoch_100.pth``) to the PSPNet model here.

Their model: ``layer0`` = Sequential(conv1, bn1, relu, conv2, bn2, relu, conv3, bn3, relu, maxpool),
``layer1``..``layer4``, ``ppm.features.i`` = Sequential(pool, conv, bn, relu),
``cls`` and ``aux`` = Sequential(conv, bn, relu, dropout, classifier).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RULES = [
    (r"^layer0\.0\.", "backbone.conv1."),
    (r"^layer0\.1\.", "backbone.bn1."),
    (r"^layer0\.3\.", "backbone.conv2."),
    (r"^layer0\.4\.", "backbone.bn2."),
    (r"^layer0\.6\.", "backbone.conv3."),
    (r"^layer0\.7\.", "backbone.bn3."),
    (r"^(layer[1-4])\.", r"backbone.\1."),
    (r"^ppm\.features\.(\d+)\.1\.", r"decode_head.ppm.branches.\1.1.0."),
    (r"^ppm\.features\.(\d+)\.2\.", r"decode_head.ppm.branches.\1.1.1."),
    (r"^cls\.0\.", "decode_head.bottleneck.0."),
    (r"^cls\.1\.", "decode_head.bottleneck.1."),
    (r"^cls\.4\.", "decode_head.classifier."),
    (r"^aux\.0\.", "aux_head.convs.0.0."),
    (r"^aux\.1\.", "aux_head.convs.0.1."),
    (r"^aux\.4\.", "aux_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def semseg_pspnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Every key renamed; a key of another layout is an error (see :func:`rename_keys`)."""
    return rename_keys(state_dict, RULES)
