"""SemanticFPN's structure in the three designs (parameter counts, head units, switches) and its
train and eval outputs at odd input sizes."""
import os

import pytest
import torch
from torch import nn

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, image_batch, load_config, num_params

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

DESIGNS = {  # design: (recipe, parameters of the ResNet-50 model at the recipe's classes)
    "detectron2": ("Base-SemanticFPN.yaml", 28_442_454),  # 150 classes
    "mmseg": ("ade20k/fpn_R50_512x512_160k_ade20k_mmseg.yaml", 28_514_806),  # mmsegmentation's fpn_r50, 150 classes
    "smp": ("Base-SemanticFPN-smp.yaml", 26_118_613),  # smp.FPN("resnet50", classes=21)
}


def fpn_cfg(recipe, *opts):
    return load_config(os.path.join(CONFIGS, recipe), "MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", "", *opts)


def meta_model(recipe, *opts):
    return build_on_meta(fpn_cfg(recipe, *opts))


@pytest.mark.parametrize("design", DESIGNS)
def test_resnet50_parameter_counts_equal_the_references(design):
    recipe, expected = DESIGNS[design]
    model = meta_model(recipe, *(("MODEL.NUM_CLASSES", "21") if design == "smp" else ()))
    assert num_params(model) == expected


def test_head_units_follow_the_level_strides():
    head = meta_model("Base-SemanticFPN.yaml").decode_head
    convs = [[m for m in level if not isinstance(m, nn.Upsample)] for level in head.scale_heads]
    ups = [[m for m in level if isinstance(m, nn.Upsample)] for level in head.scale_heads]
    assert [len(c) for c in convs] == [1, 1, 2, 3]  # max(1, log2(stride) - 2) for strides 4..32
    assert [len(u) for u in ups] == [0, 1, 2, 3]
    assert isinstance(head.scale_heads[3][1], nn.Upsample)  # each unit is followed by its up-sampling
    assert {u.scale_factor for level in ups for u in level} == {2.0}
    assert {u.mode for level in ups for u in level} == {"bilinear"}
    assert [c[0][0].in_channels for c in convs] == [256] * 4
    assert all(unit[0].out_channels == 128 and unit[0].bias is None for c in convs for unit in c)
    assert all(isinstance(unit[1], nn.GroupNorm) and unit[1].num_groups == 32 for c in convs for unit in c)
    assert head.dropout.p == 0.0 and head.classifier.kernel_size == (1, 1)


def test_the_designs_differ_where_the_references_do():
    d2, mmseg, smp = (meta_model(recipe) for recipe, _ in DESIGNS.values())
    assert isinstance(mmseg.decode_head.scale_heads[0][0][1], nn.BatchNorm2d)
    assert isinstance(mmseg.decode_head.dropout, nn.Dropout2d) and mmseg.decode_head.dropout.p == 0.1
    assert mmseg.backbone.conv1.out_channels == 32 and mmseg.size_divisibility == 0
    assert isinstance(d2.backbone.bn1, type(d2.backbone.layer2[0].bn1)) and d2.size_divisibility == 32
    assert d2.backbone.conv1.kernel_size == (7, 7) and not d2.backbone.layer1[0].conv1.weight.requires_grad
    assert smp.neck.output_convs is None and smp.decode_head.dropout.p == 0.2
    assert smp.decode_head.align_corners and smp.decode_head.scale_heads[1][1].align_corners
    assert not d2.decode_head.scale_heads[1][1].align_corners
    assert not smp.decode_head.scale_heads[0][0][0].bias  # Conv3x3GNReLU has no bias


def test_bad_compositions_name_the_key():
    with pytest.raises(ValueError, match="MODEL.HEAD.NAME FCNHead reads one map: MODEL.HEAD.IN_FEATURES must have one "
                                         "name, got \\['p2', 'p3', 'p4', 'p5'\\]"):
        meta_model("Base-SemanticFPN.yaml", "MODEL.HEAD.NAME", "FCNHead")
    with pytest.raises(ValueError, match="strides \\[4, 8, 8, 8\\]"):
        meta_model("Base-SemanticFPN.yaml", "MODEL.RESNETS.OUTPUT_STRIDE", "8")
    with pytest.raises(ValueError, match="MODEL.HEAD.IN_FEATURES \\['p2', 'p6'\\] must name maps among"):
        meta_model("Base-SemanticFPN.yaml", "MODEL.HEAD.IN_FEATURES", "['p2', 'p6']")


NARROW = ("MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
          "MODEL.RESNETS.STEM_WIDTH", "0", "MODEL.FPN.OUT_CHANNELS", "16", "MODEL.HEAD.CHANNELS", "16",
          "MODEL.BACKBONE.FREEZE_AT", "0", "MODEL.RESNETS.NORM", "BN")


def narrow_model(recipe, *opts):
    torch.manual_seed(0)
    return build_model(fpn_cfg(recipe, *NARROW, *opts))


@pytest.mark.parametrize("design", DESIGNS)
def test_training_at_odd_sizes_reaches_every_level(design):
    model = narrow_model(DESIGNS[design][0]).train()
    losses = model(image_batch((65, 97), (47, 71), with_masks=True))
    assert set(losses) == {"loss_sem_seg"} and torch.isfinite(losses["loss_sem_seg"])
    losses["loss_sem_seg"].backward()
    assert model.neck.lateral_convs[3][0].weight.grad.abs().sum() > 0
    assert all(level[0][0].weight.grad.abs().sum() > 0 for level in model.decode_head.scale_heads)


@pytest.mark.parametrize("design", DESIGNS)
def test_eval_gives_scores_at_each_original_size(design):
    model = narrow_model(DESIGNS[design][0]).eval()
    with torch.no_grad():
        outputs = model(image_batch((97, 65), (33, 49)))
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 97, 65), (5, 33, 49)]
    assert all(torch.isfinite(o["sem_seg"]).all() for o in outputs)


def test_padding_to_32_crops_back_to_the_image():
    """detectron2's protocol: a 65x49 image is padded (with the mean) to 96x64, the logits at 1/4 are
    up-sampled x4 to the padded size and cropped back to the image."""
    model = narrow_model("Base-SemanticFPN.yaml").eval()
    image = image_batch((65, 49))[0]
    padded = torch.zeros(1, 3, 96, 64)
    padded[0, :, :65, :49] = (image["image"].float() - model.pixel_mean) / model.pixel_std
    with torch.no_grad():
        logits = model.decode(model.extract_features(padded))["sem_seg"]
        out = model([image])[0]["sem_seg"]
    assert logits.shape[-2:] == (24, 16)
    expected = torch.nn.functional.interpolate(logits, scale_factor=4, mode="bilinear", align_corners=False)
    assert out.shape == (5, 65, 49)
    assert torch.equal(out, expected[0, :, :65, :49])
