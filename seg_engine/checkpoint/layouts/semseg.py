"""hszhao/semseg's ImageNet ResNets (``initmodel/resnet50_v2.pth``, deep stem), for the PSPNet recipes."""
from ..layout import WeightLayout, register_layout
from ..vocabulary import prefix

register_layout(WeightLayout(
    name="semseg_resnet_imagenet",
    source="hszhao/semseg's ImageNet ResNet-50/101 (initmodel/resnet50_v2.pth, resnet101_v2.pth; deep stem "
           "conv1..conv3/bn1..bn3), shared on the authors' Google Drive, without the fc classifier",
    rules=prefix(r"(conv[123]|bn[123]|layer[1-4])", r"backbone.\1"),
    drop=[r"fc\."],
))
