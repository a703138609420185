"""hszhao/semseg's trained PSPNet checkpoints (``train_epoch_100.pth``).

Their model: ``layer0`` = Sequential(conv1, bn1, relu, conv2, bn2, relu, conv3, bn3, relu, maxpool),
``layer1``..``layer4``, ``ppm.features.i`` = Sequential(pool, conv, bn, relu), ``cls`` and ``aux`` =
Sequential(conv, bn, relu, dropout, classifier).
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import children, prefix, sequential_fcn_head

HEAD = {"0": "bottleneck.0", "1": "bottleneck.1", "4": "classifier"}

register_layout(WeightLayout(
    name="semseg_pspnet",
    source="hszhao/semseg's trained PSPNet-50/101 checkpoints (ADE20K, Cityscapes, VOC2012; train_epoch_*.pth)",
    rules=children(r"^layer0", "backbone", {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3", "7": "bn3"})
    + prefix(r"^(layer[1-4])", r"backbone.\1")
    + children(r"^ppm\.features\.(\d+)", r"decode_head.ppm.branches.\1.1", {"1": "0", "2": "1"})
    + children(r"^cls", "decode_head", HEAD)
    + sequential_fcn_head(r"^aux", "aux_head"),
    recipe="seg_engine://PSPNet/Base-PSPNet.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 150),
    key_table="projects/PSPNet/tests/data/semseg_pspnet50_ade20k_keys.txt",
    examples={"backbone.conv3.weight": "layer0.6.weight",
              "decode_head.ppm.branches.3.1.1.running_var": "ppm.features.3.2.running_var",
              "aux_head.classifier.bias": "aux.4.bias"},
))
