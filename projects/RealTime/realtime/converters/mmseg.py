"""mmsegmentation 1.2.2's real-time checkpoints and their ImageNet backbone files: PIDNet, DDRNet, BiSeNetV1,
BiSeNetV2 and STDC, one declared layout each.

Their pieces: mmcv's ConvModule (``conv``, ``bn``; with order ('norm', 'act', 'conv'): ``norm_act_conv``'s ``0``
and ``2`` here), FCNHead, and the heads of PIDHead (``i_head``/``p_head``/``d_head``), DDRHead (``head``,
``aux_head``) and STDCHead (an FCNHead with 2 outputs and constant Laplacian/fusion kernels, dropped).
``auxiliary_head.i`` is module ``aux_head`` (i = 0) or ``aux_head<i+1>`` here.
"""
from __future__ import annotations

from typing import Any, Dict, List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import conv_module, fcn_head

CITYSCAPES = "seg_engine://RealTime/cityscapes/"
DATA = "projects/RealTime/tests/data/"
# Any ConvModule left (conv, norm, act order); last in a table.
CONV_MODULE: List[Rule] = [(r"(.*)\.conv\.", r"\1.0."), (r"(.*)\.bn\.", r"\1.1.")]


def preact(theirs: str, ours: str) -> List[Rule]:
    """A ConvModule with order ('norm', 'act', 'conv') under ``theirs`` (a regex prefix) as ``norm_act_conv`` ``ours``."""
    return [(rf"{theirs}\.bn\.", rf"{ours}.0."), (rf"{theirs}\.conv\.", rf"{ours}.2.")]


def fcn_heads(num_aux: int) -> List[Rule]:
    """The decode head and ``num_aux`` auxiliary heads, all mmseg FCNHeads."""
    rules = fcn_head(r"decode_head", "decode_head")
    for i in range(num_aux):
        rules += fcn_head(rf"auxiliary_head\.{i}", "aux_head" if i == 0 else f"aux_head{i + 1}")
    return rules


def as_segmentor(backbone_prefix: str = "backbone."):
    """A ``prepare`` step: a file of the backbone alone (mmseg's ImageNet inits) gets the prefix its keys have
    inside the segmentor; a segmentor's file passes as it is."""

    def prepare(state: Dict[str, Any]) -> Dict[str, Any]:
        if any(k.startswith(("backbone.", "decode_head.", "auxiliary_head.")) for k in state):
            return state
        return {backbone_prefix + k: v for k, v in state.items()}

    return prepare


PIDNET_HEADS = (("i_head", "conv_seg", "decode_head"), ("p_head", "p_cls_seg", "aux_head"),
                ("d_head", "d_cls_seg", "aux_head2"))
PIDNET_RULES = preact(r"(backbone\.spp\..*)", r"\1") + preact(r"backbone\.dfm\.conv", "backbone.dfm.conv")
for _theirs, _classifier, _ours in PIDNET_HEADS:
    PIDNET_RULES += preact(rf"decode_head\.{_theirs}\.conv", f"{_ours}.conv")
    PIDNET_RULES += [(rf"decode_head\.{_theirs}\.norm\.", f"{_ours}.norm."),
                     (rf"decode_head\.{_classifier}\.", f"{_ours}.classifier.")]
PIDNET_RULES += CONV_MODULE
register_layout(WeightLayout(
    name="mmseg_pidnet",
    source="mmsegmentation's PIDNet-S/M/L (pidnet-{s,m,l}_2xb6-120k_1024x1024-cityscapes) and their ImageNet "
           "backbones (pidnet-{s,m,l}_imagenet1k_20230306-*.pth, backbone keys only), MODEL.PIDNET sized as the file; "
           "PIDHead's i_head is the decode head, p_head AUX_HEAD, d_head AUX_HEAD2 (the BoundaryHead)",
    rules=PIDNET_RULES,
    prepare=as_segmentor(),
    recipe=CITYSCAPES + "pidnet-s_1024x1024_120k_cityscapes_mmseg.yaml",
    key_table=DATA + "mmseg_pidnet_keys.txt",
    examples={"backbone.spp.processes.2.weight": "backbone.spp.processes.conv.weight",
              "backbone.spp.scales.1.1.0.running_var": "backbone.spp.scales.1.1.bn.running_var",
              "backbone.dfm.f_p.1.bias": "backbone.dfm.f_p.bn.bias",
              "decode_head.conv.0.weight": "decode_head.i_head.conv.bn.weight",
              "decode_head.norm.weight": "decode_head.i_head.norm.weight",
              "aux_head.classifier.weight": "decode_head.p_cls_seg.weight",
              "aux_head2.conv.2.weight": "decode_head.d_head.conv.conv.weight"},
))

DDRNET_RULES = preact(r"(backbone\.spp\..*)", r"\1")
for _theirs, _classifier, _ours in (("head", "conv_seg", "decode_head"), ("aux_head", "aux_cls_seg", "aux_head")):
    DDRNET_RULES += preact(rf"decode_head\.{_theirs}\.0", f"{_ours}.conv")
    DDRNET_RULES += [(rf"decode_head\.{_theirs}\.1\.", f"{_ours}.norm."),
                     (rf"decode_head\.{_classifier}\.", f"{_ours}.classifier.")]
# The residual layers' shortcuts are plain Sequential(conv, BN) there too.
DDRNET_RULES += [(r"(backbone\..*\.downsample\.[01]\.)", r"\1")] + CONV_MODULE
register_layout(WeightLayout(
    name="mmseg_ddrnet",
    source="mmsegmentation's DDRNet-23-slim / DDRNet-23 (ddrnet_23{-slim,}_in1k-pre_2xb6-120k_cityscapes-1024x1024) "
           "and their ImageNet backbones (ddrnet23{s,}-in1kpre_3rdparty-*.pth, backbone keys only), MODEL.DDRNET."
           "CHANNELS 32 or 64 as the file; DDRHead's head is the decode head, aux_head AUX_HEAD",
    rules=DDRNET_RULES,
    prepare=as_segmentor(),
    recipe=CITYSCAPES + "ddrnet-23-slim_1024x1024_120k_cityscapes_mmseg.yaml",
    key_table=DATA + "mmseg_ddrnet_keys.txt",
    examples={"backbone.stem.4.0.downsample.1.weight": "backbone.stem.4.0.downsample.1.weight",
              "backbone.down_2.1.0.weight": "backbone.down_2.1.conv.weight",
              "decode_head.conv.2.weight": "decode_head.head.0.conv.weight",
              "aux_head.norm.running_mean": "decode_head.aux_head.1.running_mean",
              "aux_head.classifier.bias": "decode_head.aux_cls_seg.bias"},
))

_CP = r"backbone\.context_path"
BISENETV1_RULES = (
    [(rf"{_CP}\.backbone\.", "backbone.resnet.")]
    + conv_module(rf"{_CP}\.(arm16|arm32)\.conv_layer", r"backbone.context_path.\1.conv")
    + conv_module(rf"{_CP}\.(arm16|arm32)\.atten_conv_layer\.1", r"backbone.context_path.\1.attention.1")
    + conv_module(rf"{_CP}\.conv_head(16|32)", r"backbone.context_path.head\1")
    + conv_module(rf"{_CP}\.gap_conv\.1", "backbone.context_path.global_conv")
    + conv_module(r"backbone\.spatial_path\.layer(\d)", r"backbone.spatial_path.<\1>")
    + conv_module(r"backbone\.ffm\.conv1", "backbone.ffm.conv")
    + conv_module(r"backbone\.ffm\.conv_atten\.0", "backbone.ffm.attention.1")
    + fcn_heads(2)
)
BISENETV1_IMAGENET_RULES = [(r"(layer[1-4])\.", r"backbone.resnet.\1.")]


def _bisenetv1_rules(state: Dict[str, Any]) -> List[Rule]:
    """The segmentor's rules, or for an ImageNet ResNet (``stem.*``, ``layer*``, ``fc.*``) its layer1..4."""
    if any(k.startswith(("decode_head.", "auxiliary_head.", "backbone.context_path.")) for k in state):
        return BISENETV1_RULES
    return BISENETV1_IMAGENET_RULES


def _strip_imagenet_prefix(state: Dict[str, Any]) -> Dict[str, Any]:
    if any(k.startswith(("decode_head.", "auxiliary_head.", "backbone.context_path.")) for k in state):
        return state
    return {k[len("backbone."):] if k.startswith("backbone.") else k: v for k, v in state.items()}


register_layout(WeightLayout(
    name="mmseg_bisenetv1",
    source="mmsegmentation's BiSeNetV1 (bisenetv1_r{18,50,101}-d32*_cityscapes-1024x1024), and open-mmlab://"
           "resnet{18,50,101}_v1c as its context path's ResNet: mmseg builds that ResNet with the 7x7 stem, so the "
           "deep-stem file sets layer1..4 and the stem stays random (stem.*, fc.* dropped) as there",
    rules=_bisenetv1_rules,
    prepare=_strip_imagenet_prefix,
    drop=[r"stem\.", r"fc\.", r"head\."],
    recipe=CITYSCAPES + "bisenetv1_R18_1024x1024_160k_cityscapes_mmseg.yaml",
    key_table=DATA + "mmseg_bisenetv1_keys.txt",
    examples={"backbone.resnet.layer2.0.downsample.0.weight": "backbone.context_path.backbone.layer2.0.downsample.0.weight",
              "backbone.context_path.arm32.attention.1.1.weight": "backbone.context_path.arm32.atten_conv_layer.1.bn.weight",
              "backbone.spatial_path.3.0.weight": "backbone.spatial_path.layer4.conv.weight",
              "backbone.ffm.attention.1.0.weight": "backbone.ffm.conv_atten.0.conv.weight",
              "aux_head2.classifier.weight": "auxiliary_head.1.conv_seg.weight"},
))

_SEM, _STAGE = r"backbone\.semantic", r"backbone\.semantic\.stage([234])\.(\d+)"
_OURS_STAGE = r"backbone.semantic.stages.<\1>.\2"
BISENETV2_RULES = (
    conv_module(r"backbone\.detail\.detail_branch\.(\d+)\.(\d+)", r"backbone.detail.\1.\2")
    + conv_module(rf"{_SEM}\.stage1\.(conv_first|fuse_last)", r"backbone.semantic.stages.0.\1")
    + conv_module(rf"{_SEM}\.stage1\.convs\.(\d+)", r"backbone.semantic.stages.0.convs.\1")
    + conv_module(rf"{_STAGE}\.conv1", f"{_OURS_STAGE}.conv1")
    + conv_module(rf"{_STAGE}\.dwconv\.(\d+)", rf"{_OURS_STAGE}.dwconv.\3")
    + conv_module(rf"{_STAGE}\.conv2\.0", f"{_OURS_STAGE}.conv2")
    + conv_module(rf"{_STAGE}\.shortcut\.0\.depthwise_conv", f"{_OURS_STAGE}.shortcut.0")
    + conv_module(rf"{_STAGE}\.shortcut\.0\.pointwise_conv", f"{_OURS_STAGE}.shortcut.1")
    + [(rf"{_SEM}\.stage4_CEBlock\.gap\.1\.", "backbone.semantic.ce.gap.1.")]
    + conv_module(rf"{_SEM}\.stage4_CEBlock\.(conv_gap|conv_last)", r"backbone.semantic.ce.\1")
    + conv_module(r"backbone\.bga\.(detail|semantic)_dwconv\.0\.depthwise_conv", r"backbone.bga.\1_dwconv.0")
    + [(r"backbone\.bga\.(detail|semantic)_dwconv\.0\.pointwise_conv\.conv\.", r"backbone.bga.\1_dwconv.1.")]
    + conv_module(r"backbone\.bga\.detail_down\.0", "backbone.bga.detail_down.0")
    + conv_module(r"backbone\.bga\.semantic_conv\.0", "backbone.bga.semantic_conv")
    + conv_module(r"backbone\.bga\.conv", "backbone.bga.conv")
    + fcn_heads(4)
)
register_layout(WeightLayout(
    name="mmseg_bisenetv2",
    source="mmsegmentation's BiSeNetV2 (bisenetv2_fcn_4xb{4,8}*-160k_cityscapes-1024x1024); auxiliary_head.0..3 "
           "are AUX_HEAD..AUX_HEAD4",
    rules=BISENETV2_RULES,
    recipe=CITYSCAPES + "bisenetv2_1024x1024_160k_cityscapes_mmseg.yaml",
    key_table=DATA + "mmseg_bisenetv2_keys.txt",
    examples={"backbone.semantic.stages.1.0.shortcut.1.0.weight": "backbone.semantic.stage2.0.shortcut.0.pointwise_conv.conv.weight",
              "backbone.semantic.stages.3.3.conv2.1.weight": "backbone.semantic.stage4.3.conv2.0.bn.weight",
              "backbone.semantic.ce.gap.1.running_var": "backbone.semantic.stage4_CEBlock.gap.1.running_var",
              "backbone.bga.detail_dwconv.1.bias": "backbone.bga.detail_dwconv.0.pointwise_conv.conv.bias",
              "backbone.bga.semantic_conv.1.weight": "backbone.bga.semantic_conv.0.bn.weight",
              "aux_head4.convs.1.0.weight": "auxiliary_head.3.convs.1.conv.weight"},
))

_NET, _OURS_NET = r"backbone\.backbone\.stages", "backbone.stdc.stages"
STDC_RULES = (
    conv_module(rf"{_NET}\.([01])", rf"{_OURS_NET}.\1")
    + conv_module(rf"{_NET}\.(\d+)\.(\d+)\.layers\.(\d+)\.(\d+)", rf"{_OURS_NET}.\1.\2.layers.\3.\4")
    + conv_module(rf"{_NET}\.(\d+)\.(\d+)\.(layers|skip)\.(\d+)", rf"{_OURS_NET}.\1.\2.\3.\4")
    + conv_module(rf"{_NET}\.(\d+)\.(\d+)\.downsample", rf"{_OURS_NET}.\1.\2.downsample")
    + conv_module(r"backbone\.arms\.0\.conv_layer", "backbone.context_path.arm32.conv")
    + conv_module(r"backbone\.arms\.1\.conv_layer", "backbone.context_path.arm16.conv")
    + conv_module(r"backbone\.arms\.0\.atten_conv_layer\.1", "backbone.context_path.arm32.attention.1")
    + conv_module(r"backbone\.arms\.1\.atten_conv_layer\.1", "backbone.context_path.arm16.attention.1")
    + conv_module(r"backbone\.convs\.0", "backbone.context_path.head32")
    + conv_module(r"backbone\.convs\.1", "backbone.context_path.head16")
    + conv_module(r"backbone\.conv_avg", "backbone.context_path.global_conv")
    + conv_module(r"backbone\.ffm\.conv0", "backbone.ffm.conv")
    + [(r"backbone\.ffm\.attention\.([12])\.conv\.", r"backbone.ffm.attention.\1.0.")]
    + fcn_heads(3)
)
register_layout(WeightLayout(
    name="mmseg_stdc",
    source="mmsegmentation's STDC1/STDC2 (stdc{1,2}*_4xb12-80k_cityscapes-512x1024) and ImageNet STDCNets "
           "(stdc{1,2}_20220308-*.pth, STDCNet keys only), MODEL.STDC.TYPE as the file; auxiliary_head.0/1 (FCN) are "
           "AUX_HEAD/AUX_HEAD2, auxiliary_head.2 (STDCHead) AUX_HEAD3, the DetailHead; its constant kernels dropped",
    rules=STDC_RULES,
    prepare=as_segmentor("backbone.backbone."),
    drop=[r"auxiliary_head\.\d+\.(fusion_kernel|laplacian_kernel)$"],
    recipe=CITYSCAPES + "stdc1_512x1024_80k_cityscapes_mmseg.yaml",
    key_table=DATA + "mmseg_stdc_keys.txt",
    examples={"backbone.stdc.stages.2.0.downsample.0.weight": "backbone.backbone.stages.2.0.downsample.conv.weight",
              "backbone.stdc.stages.4.1.layers.3.1.bias": "backbone.backbone.stages.4.1.layers.3.bn.bias",
              "backbone.context_path.arm32.conv.0.weight": "backbone.arms.0.conv_layer.conv.weight",
              "backbone.context_path.head16.1.weight": "backbone.convs.1.bn.weight",
              "backbone.ffm.attention.2.0.weight": "backbone.ffm.attention.2.conv.weight",
              "aux_head3.classifier.weight": "auxiliary_head.2.conv_seg.weight"},
))
