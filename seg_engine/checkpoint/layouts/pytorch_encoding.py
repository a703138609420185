"""PyTorch-Encoding's ImageNet ResNets (resnet50s/101s, deep stem) and FastFCN's (7x7 stem)."""
from typing import Any, Dict, List

from ..converters import Rule
from ..layout import WeightLayout, register_layout
from ..vocabulary import children, prefix

# PyTorch-Encoding's deep stem is conv1 = Sequential(conv, BN, ReLU, conv, BN, ReLU, conv), then bn1.
DEEP_STEM = children("conv1", "backbone", {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3"}) + prefix(
    "bn1", "backbone.bn3")
BASIC_STEM = prefix(r"(conv1|bn1)", r"backbone.\1")
LAYERS = prefix(r"(layer[1-4])", r"backbone.\1")


def _rules(state: Dict[str, Any]) -> List[Rule]:
    """The deep stem's rules when conv1 is a Sequential (``conv1.0.*``), else the 7x7 stem's."""
    deep = any(k.startswith("conv1.0.") for k in state)
    return (DEEP_STEM if deep else BASIC_STEM) + LAYERS


register_layout(WeightLayout(
    name="pytorch_encoding_resnet",
    source="PyTorch-Encoding's ImageNet resnet50s/101s (deep stem, resnet50s-a75c83cf.pth) and FastFCN's "
           "resnet50/101 (7x7 stem), without the fc classifier",
    rules=_rules,
    drop=[r"fc\."],
))
