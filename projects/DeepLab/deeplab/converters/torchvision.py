"""torchvision's trained ``deeplabv3_resnet50`` / ``deeplabv3_resnet101`` checkpoints (COCO with VOC's classes).

Their keys: ``backbone.{conv1,bn1,layer1..4}`` (a torchvision ResNet, as this one with STEM basic),
``classifier.0`` the ASPP (``convs.0`` the 1x1 branch, ``convs.1..3`` the atrous ones, ``convs.4.{1,2}`` the pooling
branch's conv and BN, ``project.{0,1}``), ``classifier.{1,2}`` the 3x3 conv and BN after it, ``classifier.4`` the
classifier, ``aux_classifier.{0,1,4}`` the FCN aux head.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import children, prefix, sequential_fcn_head, torchvision_resnet

register_layout(WeightLayout(
    name="torchvision_deeplabv3",
    source="torchvision's trained deeplabv3_resnet50/101 (deeplabv3_resnet50_coco-cd0a2569.pth, ...), for "
           "MODEL.RESNETS.STEM basic, FIRST_BLOCK_DILATION half, ASPP.POOL_POSITION last, DEEPLAB.POST_ASPP_CONV True "
           "(RESNETS.DEPTH 101 for _resnet101)",
    rules=torchvision_resnet("backbone", "backbone")
    + children(r"classifier\.0\.convs\.4", "decode_head.aspp.pool.1", {"1": "0", "2": "1"})
    + prefix(r"classifier\.0\.convs\.(\d)", r"decode_head.aspp.convs.\1")
    + prefix(r"classifier\.0\.project", "decode_head.aspp.project")
    + children("classifier", "decode_head", {"1": "post_conv.0", "2": "post_conv.1", "4": "classifier"})
    + sequential_fcn_head("aux_classifier", "aux_head"),
    recipe="seg_engine://DeepLab/voc2012/deeplabv3_R50_torchvision.yaml",
    key_table="projects/DeepLab/tests/data/torchvision_deeplabv3_resnet50_keys.txt",
    examples={"decode_head.aspp.pool.1.0.weight": "classifier.0.convs.4.1.weight",
              "decode_head.aspp.pool.1.1.running_var": "classifier.0.convs.4.2.running_var",
              "decode_head.post_conv.1.bias": "classifier.2.bias",
              "aux_head.classifier.weight": "aux_classifier.4.weight"},
))
