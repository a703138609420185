"""DrSleep/light-weight-refinenet's RF-LW-50/101/152 (``ResNetLW``) checkpoints.

The names are RefineNet-pytorch's (see :mod:`.refinenet_pytorch`) without the residual conv units; the adaptation,
fusion and pooling convs are 1x1. A RefineNet checkpoint (with RCUs) is refused by name.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import torchvision_resnet

from .refinenet_pytorch import PATHS

register_layout(WeightLayout(
    name="light_weight_refinenet",
    source="DrSleep/light-weight-refinenet's trained RF-LW-50/101/152 (VOC, Person-Part, NYUv2, Context; e.g. "
           "rf_lw101_voc.pth.tar), for the Base-RefineNet-LW.yaml models",
    rules=torchvision_resnet("", "backbone") + PATHS,
    recipe="seg_engine://RefineNet/Base-RefineNet-LW.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 21),
    key_table="projects/RefineNet/tests/data/rf_lw101_voc_keys.txt",
    examples={"backbone.layer3.22.bn3.running_var": "layer3.22.bn3.running_var",
              "decode_head.blocks.0.adapt.weight": "p_ims1d2_outl1_dimred.weight",
              "decode_head.blocks.3.crp.convs.3.weight": "mflow_conv_g4_pool.0.4_outvar_dimred.weight",
              "decode_head.blocks.1.fusion.coarse_conv.weight": "mflow_conv_g1_b3_joint_varout_dimred.weight",
              "decode_head.blocks.2.fusion.fine_conv.weight": "adapt_stage3_b2_joint_varout_dimred.weight",
              "decode_head.classifier.bias": "clf_conv.bias"},
))
