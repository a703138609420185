"""Each converter maps every key of its reference (tables in data/, listed from the reference models outside
the repo) once onto a key of this project's model with the same shape, and refuses keys of other layouts."""
import os
import sys

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.utils.testing import map_key_table, read_key_table, state_shapes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realtime_test_helpers import DATA, build  # noqa: E402

PIDNET_L = ["MODEL.PIDNET.CHANNELS", 64, "MODEL.PIDNET.PPM_CHANNELS", 112, "MODEL.PIDNET.NUM_STEM_BLOCKS", 3,
            "MODEL.PIDNET.NUM_BRANCH_BLOCKS", 4, "MODEL.HEAD.CHANNELS", 256, "MODEL.AUX_HEAD.CHANNELS", 256,
            "MODEL.AUX_HEAD2.CHANNELS", 64]
# converter -> (table, recipe, overrides, number of reference keys, reference keys without a tensor here, spot checks)
CASES = {
    "mmseg_pidnet": ("mmseg_pidnet_keys.txt", "Base-PIDNet-mmseg.yaml", [], 477, 0, {
        "backbone.spp.processes.2.weight": "backbone.spp.processes.conv.weight",
        "backbone.spp.scales.1.1.0.running_var": "backbone.spp.scales.1.1.bn.running_var",
        "backbone.dfm.f_p.1.bias": "backbone.dfm.f_p.bn.bias",
        "decode_head.conv.0.weight": "decode_head.i_head.conv.bn.weight",
        "decode_head.norm.weight": "decode_head.i_head.norm.weight",
        "aux_head.classifier.weight": "decode_head.p_cls_seg.weight",
        "aux_head2.conv.2.weight": "decode_head.d_head.conv.conv.weight"}),
    "mmseg_pidnet (L)": ("mmseg_pidnet-l_keys.txt", "Base-PIDNet-mmseg.yaml", PIDNET_L, 543, 0, {
        "backbone.dfm.conv.2.weight": "backbone.dfm.conv.conv.weight",
        "backbone.spp.processes.3.0.weight": "backbone.spp.processes.3.bn.weight"}),
    "mmseg_ddrnet": ("mmseg_ddrnet_keys.txt", "Base-DDRNet-mmseg.yaml", [], 344, 0, {
        "backbone.stem.4.0.downsample.1.weight": "backbone.stem.4.0.downsample.1.weight",
        "backbone.down_2.1.0.weight": "backbone.down_2.1.conv.weight",
        "decode_head.conv.2.weight": "decode_head.head.0.conv.weight",
        "aux_head.norm.running_mean": "decode_head.aux_head.1.running_mean",
        "aux_head.classifier.bias": "decode_head.aux_cls_seg.bias"}),
    "mmseg_bisenetv1": ("mmseg_bisenetv1_keys.txt", "Base-BiSeNetV1-mmseg.yaml", [], 222, 0, {
        "backbone.resnet.layer2.0.downsample.0.weight": "backbone.context_path.backbone.layer2.0.downsample.0.weight",
        "backbone.context_path.arm32.attention.1.1.weight": "backbone.context_path.arm32.atten_conv_layer.1.bn.weight",
        "backbone.spatial_path.3.0.weight": "backbone.spatial_path.layer4.conv.weight",
        "backbone.ffm.attention.1.0.weight": "backbone.ffm.conv_atten.0.conv.weight",
        "aux_head2.classifier.weight": "auxiliary_head.1.conv_seg.weight"}),
    "mmseg_bisenetv2": ("mmseg_bisenetv2_keys.txt", "Base-BiSeNetV2-mmseg.yaml", [], 385, 0, {
        "backbone.semantic.stages.1.0.shortcut.1.0.weight": "backbone.semantic.stage2.0.shortcut.0.pointwise_conv.conv.weight",
        "backbone.semantic.stages.3.3.conv2.1.weight": "backbone.semantic.stage4.3.conv2.0.bn.weight",
        "backbone.semantic.ce.gap.1.running_var": "backbone.semantic.stage4_CEBlock.gap.1.running_var",
        "backbone.bga.detail_dwconv.1.bias": "backbone.bga.detail_dwconv.0.pointwise_conv.conv.bias",
        "backbone.bga.semantic_conv.1.weight": "backbone.bga.semantic_conv.0.bn.weight",
        "aux_head4.convs.1.0.weight": "auxiliary_head.3.convs.1.conv.weight"}),
    "mmseg_stdc": ("mmseg_stdc_keys.txt", "Base-STDC-mmseg.yaml", [], 258, 2, {
        "backbone.stdc.stages.2.0.downsample.0.weight": "backbone.backbone.stages.2.0.downsample.conv.weight",
        "backbone.stdc.stages.4.1.layers.3.1.bias": "backbone.backbone.stages.4.1.layers.3.bn.bias",
        "backbone.context_path.arm32.conv.0.weight": "backbone.arms.0.conv_layer.conv.weight",
        "backbone.context_path.head16.1.weight": "backbone.convs.1.bn.weight",
        "backbone.ffm.attention.2.0.weight": "backbone.ffm.attention.2.conv.weight",
        "aux_head3.classifier.weight": "auxiliary_head.2.conv_seg.weight"}),
    "mmseg_stdc (STDC2)": ("mmseg_stdc2_keys.txt", "Base-STDC-mmseg.yaml", ["MODEL.STDC.TYPE", "STDCNet2"], 402, 2, {
        "backbone.stdc.stages.3.4.layers.0.0.weight": "backbone.backbone.stages.3.4.layers.0.conv.weight"}),
    "xujiacong_pidnet": ("xujiacong_pidnet_keys.txt", "cityscapes/pidnet-s_cityscapes_xujiacong.yaml", [], 480, 1, {
        "backbone.stem.0.0.bias": "model.conv1.0.bias",
        "backbone.stem.1.1.weight": "model.conv1.4.weight",
        "backbone.i_branch_layers.2.1.conv3.1.running_var": "model.layer5.1.bn3.running_var",
        "backbone.d_branch_layers.0.downsample.1.weight": "model.layer3_d.downsample.1.weight",
        "backbone.pag_2.f_i.0.weight": "model.pag4.f_y.0.weight",
        "backbone.spp.scales.3.1.2.weight": "model.spp.scale3.3.weight",
        "backbone.spp.processes.0.weight": "model.spp.scale_process.0.weight",
        "backbone.dfm.f_p.1.bias": "model.dfm.conv_p.1.bias",
        "decode_head.conv.0.weight": "model.final_layer.bn1.weight",
        "aux_head2.classifier.bias": "model.seghead_d.conv2.bias"}),
    "coincheung_bisenetv1": ("coincheung_bisenetv1_keys.txt", "cityscapes/bisenetv1_R18_cityscapes_coincheung.yaml", [], 222, 0, {
        "backbone.resnet.layer3.0.downsample.1.weight": "cp.resnet.layer3.0.downsample.1.weight",
        "backbone.context_path.arm16.attention.1.0.weight": "cp.arm16.conv_atten.weight",
        "backbone.context_path.global_conv.1.bias": "cp.conv_avg.bn.bias",
        "backbone.spatial_path.3.0.weight": "sp.conv_out.conv.weight",
        "backbone.ffm.attention.1.1.weight": "ffm.bn.weight",
        "aux_head2.classifier.weight": "conv_out32.conv_out.weight"}),
    "coincheung_bisenetv2": ("coincheung_bisenetv2_keys.txt", "cityscapes/bisenetv2_cityscapes_coincheung.yaml", [], 383, 56, {
        "backbone.detail.2.1.0.weight": "detail.S3.1.conv.weight",
        "backbone.semantic.stages.1.0.dwconv.1.1.weight": "segment.S3.0.dwconv2.1.weight",
        "backbone.semantic.stages.3.2.dwconv.0.0.weight": "segment.S5_4.2.dwconv.0.weight",
        "backbone.semantic.stages.2.0.shortcut.1.1.bias": "segment.S4.0.shortcut.3.bias",
        "backbone.semantic.ce.gap.1.weight": "segment.S5_5.bn.weight",
        "backbone.bga.detail_dwconv.1.weight": "bga.left1.2.weight",
        "decode_head.classifier.weight": "head.conv_out.1.weight"}),
    "torchvision_lraspp": ("torchvision_lraspp_keys.txt", "Base-LRASPP-torchvision.yaml", [], 319, 0, {
        "backbone.features.16.0.weight": "backbone.16.0.weight",
        "decode_head.scale.1.weight": "classifier.scale.1.weight"}),
}


def converter_name(case):
    return case.split()[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(case):
    table, recipe, opts, count, constants, spots = CASES[case]
    ref = read_key_table(os.path.join(DATA, table))
    assert len(ref) == count
    ours = state_shapes(build(recipe, *opts, device="meta"))
    source = map_key_table(ref, converter_name(case), ours, wrap=lambda state: {"state_dict": state})
    assert len(set(ref) - set(source.values())) == constants
    for ours_key, theirs in spots.items():
        assert source[ours_key] == theirs


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_key_of_another_layout_is_refused(case):
    first = next(iter(read_key_table(os.path.join(DATA, CASES[case][0]))))
    with pytest.raises(KeyError, match="match no rule of this layout: head.fc.weight"):
        convert_weights({first: torch.zeros(1), "head.fc.weight": torch.zeros(1)}, converter_name(case))


@pytest.mark.parametrize("converter, table, prefix", [
    ("mmseg_pidnet", "mmseg_pidnet_keys.txt", "backbone."),
    ("mmseg_ddrnet", "mmseg_ddrnet_keys.txt", "backbone."),
    ("mmseg_stdc", "mmseg_stdc_keys.txt", "backbone.backbone."),
])
def test_imagenet_backbones_load_into_the_backbone(converter, table, prefix):
    """mmseg's ImageNet inits hold the backbone module's own keys (PIDNet, DDRNet) or the STDCNet's."""
    ref = read_key_table(os.path.join(DATA, table))
    backbone_only = {k[len(prefix):]: torch.empty(s, device="meta") for k, s in ref.items() if k.startswith(prefix)}
    converted = convert_weights(backbone_only, converter)
    assert len(converted) == len(backbone_only)
    assert all(k.startswith("backbone.") for k in converted)
    full = convert_weights({k: torch.empty(s, device="meta") for k, s in ref.items()}, converter)
    assert set(converted) <= set(full)


def test_bisenetv1_imagenet_resnet_gives_layer1_to_4_and_drops_the_deep_stem():
    """mmseg loads open-mmlab://resnet18_v1c into its 7x7-stem ResNet: the stem does not fit and stays random."""
    state = {"stem.0.weight": torch.zeros(32, 3, 3, 3), "stem.1.weight": torch.zeros(32),
             "layer1.0.conv1.weight": torch.zeros(64, 64, 3, 3), "layer4.1.bn2.bias": torch.zeros(512),
             "fc.weight": torch.zeros(1000, 512)}
    assert sorted(convert_weights(state, "mmseg_bisenetv1")) == ["backbone.resnet.layer1.0.conv1.weight",
                                                                 "backbone.resnet.layer4.1.bn2.bias"]
