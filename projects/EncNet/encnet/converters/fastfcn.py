"""wuhuikai/FastFCN's trained EncNet (+JPU) checkpoints.

Their keys: PyTorch-Encoding's EncNet (see :mod:`.pytorch_encoding`; the backbone keeps an unused ImageNet
``pretrained.fc``, dropped here) and the JPU ``jpu.*``: ``conv3``/``conv4``/``conv5`` read c2/c3/c4 (our
res3/res4/res5), ``dilationN`` = Sequential(SeparableConv2d(``conv1``, ``bn``, ``pointwise``), BN, ReLU). FastFCN
concatenates the JPU's inputs deepest first, as the JPU here, so no channel is reordered.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import children

from .pytorch_encoding import HEAD, backbone_rules

JPU = (children(r"jpu", "neck.convs", {"conv3": "0", "conv4": "1", "conv5": "2"})
       + children(r"jpu\.dilation([1-4])", r"neck.branches.<\1>",
                  {"0.conv1": "conv_dw", "0.bn": "bn_dw", "0.pointwise": "conv_pw", "1": "bn_pw"}))

register_layout(WeightLayout(
    name="fastfcn_encnet",
    source="FastFCN's trained EncNet+JPU ResNet-50 ADE20K (a Google Drive link in their README); the backbone's "
           "unused ImageNet fc is dropped",
    rules=lambda state: backbone_rules(state) + JPU + HEAD,
    drop=[r"pretrained\.fc\."],
    recipe="seg_engine://EncNet/Base-EncNet.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 150, "MODEL.RESNETS.OUTPUT_STRIDE", 32, "MODEL.NECK.NAME", "JPU"),
    key_table="projects/EncNet/tests/data/fastfcn_encnet_jpu_r50_ade_keys.txt",
    examples={"neck.convs.0.0.weight": "jpu.conv3.0.weight",  # res3 -> the first conv
              "neck.convs.2.0.weight": "jpu.conv5.0.weight",
              "neck.branches.3.conv_dw.weight": "jpu.dilation4.0.conv1.weight",
              "neck.branches.0.bn_pw.running_var": "jpu.dilation1.1.running_var",
              "decode_head.enc_module.encoding.codewords": "head.encmodule.encoding.3.codewords",
              "decode_head.enc_module.code_norm.weight": "head.encmodule.encoding.4.weight",
              "backbone.bn3.weight": "pretrained.bn1.weight"},
))
