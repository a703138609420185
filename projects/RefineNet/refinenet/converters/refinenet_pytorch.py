"""DrSleep/refinenet-pytorch's RefineNet-101 (a port of the authors' MATLAB model and their VOC weights).

Their keys: a torchvision ResNet (``conv1``, ``bn1``, ``layer1..4``) and the MATLAB-derived decoder names, block N
counted from the coarsest (N=1 reads layer4): ``p_ims1d2_outlN_dimred`` (adaptation conv),
``adapt_stageN_b.0.{i}_conv`` / ``{i}_conv_relu_varout_dimred`` (RCU i's two convs),
``adapt_stageN_b2_joint_varout_dimred`` (the fusion conv of this path), ``mflow_conv_gN_pool.0.{i}_outvar_dimred``
(CRP stage i), ``mflow_conv_gN_b.0.{i}_conv...`` (output RCUs), ``mflow_conv_gN_b3_joint_varout_dimred`` (block N's
output conv, the coarse side of block N+1's fusion) and ``clf_conv``.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import prefix, torchvision_resnet

# Shared by Light-Weight RefineNet, whose names are these minus the RCUs.
PATHS = (prefix(r"p_ims1d2_outl(\d)_dimred", r"decode_head.blocks.<\1>.adapt")
         + prefix(r"adapt_stage(\d)_b2_joint_varout_dimred", r"decode_head.blocks.<\1>.fusion.fine_conv")
         # Block N's output conv is the coarse side of block N+1's fusion: gN -> blocks.N, counted from 0.
         + prefix(r"mflow_conv_g(\d)_b3_joint_varout_dimred", r"decode_head.blocks.\1.fusion.coarse_conv")
         + prefix(r"mflow_conv_g(\d)_pool\.0\.(\d+)_outvar_dimred", r"decode_head.blocks.<\1>.crp.convs.<\2>")
         + prefix("clf_conv", "decode_head.classifier"))
RCUS = (prefix(r"adapt_stage(\d)_b\.0\.(\d+)_conv", r"decode_head.blocks.<\1>.adapt_rcus.<\2>.conv1")
        + prefix(r"adapt_stage(\d)_b\.0\.(\d+)_conv_relu_varout_dimred", r"decode_head.blocks.<\1>.adapt_rcus.<\2>.conv2")
        + prefix(r"mflow_conv_g(\d)_b\.0\.(\d+)_conv", r"decode_head.blocks.<\1>.output_rcus.<\2>.conv1")
        + prefix(r"mflow_conv_g(\d)_b\.0\.(\d+)_conv_relu_varout_dimred", r"decode_head.blocks.<\1>.output_rcus.<\2>.conv2"))

register_layout(WeightLayout(
    name="refinenet_pytorch",
    source="DrSleep/refinenet-pytorch's rf101 VOC checkpoint (the authors' MATLAB weights ported, rf101_voc.pth.tar), "
           "for the Base-RefineNet.yaml models (4-stage CRP, 2 + 3 RCUs per block)",
    rules=torchvision_resnet("", "backbone") + PATHS + RCUS,
    recipe="seg_engine://RefineNet/Base-RefineNet.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 21),
    key_table="projects/RefineNet/tests/data/rf101_voc_keys.txt",
    examples={"backbone.layer3.22.bn3.running_var": "layer3.22.bn3.running_var",
              "decode_head.blocks.0.adapt.weight": "p_ims1d2_outl1_dimred.weight",
              "decode_head.blocks.3.crp.convs.3.weight": "mflow_conv_g4_pool.0.4_outvar_dimred.weight",
              # RefineNet-4's output conv is the coarse side of RefineNet-3's fusion.
              "decode_head.blocks.1.fusion.coarse_conv.weight": "mflow_conv_g1_b3_joint_varout_dimred.weight",
              "decode_head.blocks.2.fusion.fine_conv.weight": "adapt_stage3_b2_joint_varout_dimred.weight",
              "decode_head.classifier.bias": "clf_conv.bias",
              "decode_head.blocks.0.adapt_rcus.1.conv1.bias": "adapt_stage1_b.0.2_conv.bias",
              "decode_head.blocks.3.output_rcus.2.conv2.weight": "mflow_conv_g4_b.0.3_conv_relu_varout_dimred.weight"},
))
