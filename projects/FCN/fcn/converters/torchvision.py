"""torchvision's trained ``fcn_resnet50`` / ``fcn_resnet101`` checkpoints (COCO with VOC's classes).

Their model: ``backbone`` (torchvision ResNet names, layer3/layer4 dilated with the first block at the previous
dilation), ``classifier`` = FCNHead(2048 -> 512: conv, BN, ReLU, Dropout 0.1, 1x1) and ``aux_classifier`` =
FCNHead(1024 -> 256). The model here: MODEL.RESNETS.STEM "basic", OUTPUT_STRIDE 8, FIRST_BLOCK_DILATION "half",
FCNHead/aux FCNHead of 512/256 channels, ALIGN_CORNERS False.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import sequential_fcn_head, torchvision_resnet

register_layout(WeightLayout(
    name="torchvision_fcn",
    source="torchvision's trained fcn_resnet50/101 (fcn_resnet50_coco-1167a1af.pth, fcn_resnet101_coco-7ecb50ca.pth), "
           "for MODEL.RESNETS.STEM basic, OUTPUT_STRIDE 8, FIRST_BLOCK_DILATION half (RESNETS.DEPTH 101 for _resnet101)",
    rules=torchvision_resnet("backbone", "backbone")
    + sequential_fcn_head("classifier", "decode_head")
    + sequential_fcn_head("aux_classifier", "aux_head"),
    recipe="seg_engine://FCN/voc2012/fcn_R50_torchvision.yaml",
    key_table="projects/FCN/tests/data/torchvision_fcn_resnet50_keys.txt",
    examples={"decode_head.convs.0.1.running_var": "classifier.1.running_var",
              "aux_head.classifier.weight": "aux_classifier.4.weight"},
))
