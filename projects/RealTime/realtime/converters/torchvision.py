"""torchvision's ``lraspp_mobilenet_v3_large`` (``LRASPP``: ``backbone.<i>`` = MobileNetV3-Large's ``features.<i>``,
``classifier.*``). Its ImageNet MobileNetV3-Large (``torchvision://mobilenet_v3_large``) needs no layout: the
core loads torchvision's classifiers under ``backbone.`` as they are."""
from seg_engine.checkpoint import WeightLayout, register_layout

register_layout(WeightLayout(
    name="torchvision_lraspp",
    source="torchvision's lraspp_mobilenet_v3_large (lraspp_mobilenet_v3_large-d234d4ea.pth, COCO with VOC's 21 classes)",
    rules=[(r"backbone\.(\d+)\.", r"backbone.features.\1."), (r"classifier\.", "decode_head.")],
    recipe="seg_engine://RealTime/voc2012/lraspp_mobilenetv3-large_voc2012aug_torchvision.yaml",
    key_table="projects/RealTime/tests/data/torchvision_lraspp_keys.txt",
    examples={"backbone.features.16.0.weight": "backbone.16.0.weight",
              "decode_head.scale.1.weight": "classifier.scale.1.weight"},
))
