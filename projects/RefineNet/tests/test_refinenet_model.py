"""RefineNet's structure: the references' parameter counts, the switches, train and eval at odd sizes."""
import os

import pytest
import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, image_batch, load_config, num_params

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))


def cfg_of(base, *opts):
    return load_config(os.path.join(CONFIGS, base), "MODEL.DEVICE", "cpu", *opts)


def meta_model(base, *opts):
    return build_on_meta(cfg_of(base, *opts))


@pytest.mark.parametrize("base, depth, expected", [
    ("Base-RefineNet.yaml", 101, 118_052_437),  # DrSleep's rf101(21)
    ("Base-RefineNet-LW.yaml", 50, 27_357_525),  # rf_lw50(21)
    ("Base-RefineNet-LW.yaml", 101, 46_349_653),  # rf_lw101(21)
    ("Base-RefineNet-LW.yaml", 152, 61_993_301),  # rf_lw152(21)
])
def test_parameter_counts_of_the_reference_models(base, depth, expected):
    model = meta_model(base, "MODEL.NUM_CLASSES", "21", "MODEL.RESNETS.DEPTH", str(depth))
    assert num_params(model) == expected


def test_backbone_is_torchvisions_resnet_at_stride_32():
    model = meta_model("Base-RefineNet.yaml")
    backbone = model.backbone
    assert backbone.conv1.kernel_size == (7, 7) and not hasattr(backbone, "conv2")
    assert {b.conv2.dilation for b in backbone.layer4} == {(1, 1)}
    assert backbone.layer4[0].conv2.stride == (2, 2)
    assert {name: s.stride for name, s in backbone.output_shape().items()} == {
        "res2": 4, "res3": 8, "res4": 16, "res5": 32}


def test_the_papers_figure_is_a_switch():
    """Fig. 2 of the paper: 2 pooling stages and one output RCU per block instead of 4 and 3."""
    released = meta_model("Base-RefineNet.yaml", "MODEL.NUM_CLASSES", "21")
    paper = meta_model("Base-RefineNet.yaml", "MODEL.NUM_CLASSES", "21",
                       "MODEL.REFINENET.CRP_STAGES", "2", "MODEL.REFINENET.OUTPUT_RCUS", "1")
    assert [len(b.crp.convs) for b in paper.decode_head.blocks] == [2] * 4
    assert [len(b.output_rcus) for b in paper.decode_head.blocks] == [1] * 4
    widths = [512, 256, 256, 256]
    crp_conv = sum(2 * w * w * 9 for w in widths)  # two 3x3 convs without bias per block
    rcu = sum(2 * (2 * w * w * 9 + w) for w in widths)  # two RCUs: two 3x3 convs, the first with bias
    assert num_params(released) - num_params(paper) == crp_conv + rcu


def test_light_weight_blocks_have_1x1_convs_and_no_rcus():
    model = meta_model("Base-RefineNet-LW.yaml")
    for block in model.decode_head.blocks:
        assert block.adapt.kernel_size == (1, 1)
        assert len(block.adapt_rcus) == 0 and len(block.output_rcus) == 0
        assert {c.kernel_size for c in block.crp.convs} == {(1, 1)}
    assert model.decode_head.classifier.kernel_size == (3, 3)
    assert model.decode_head.dropout.p == 0.0
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.decode_head.modules())


TINY = ("MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.HEAD.CHANNELS", "8", "MODEL.REFINENET.TOP_CHANNELS", "16")


@pytest.mark.parametrize("base", ["Base-RefineNet.yaml", "Base-RefineNet-LW.yaml"])
def test_train_and_eval_at_odd_sizes(base):
    torch.manual_seed(0)
    model = build_model(cfg_of(base, *TINY))
    model.train()
    losses = model(image_batch((49, 33), (35, 47), with_masks=True))
    assert set(losses) == {"loss_sem_seg"}
    assert torch.isfinite(losses["loss_sem_seg"]) and losses["loss_sem_seg"].ndim == 0
    losses["loss_sem_seg"].backward()
    assert model.decode_head.blocks[0].crp.convs[-1].weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        x, _ = model.preprocess_images(image_batch((49, 33)))
        logits = model.decode(model.backbone(x))["sem_seg"]
        outputs = model(image_batch((49, 33), (35, 47)))
    assert tuple(logits.shape) == (1, 5, 13, 9)  # stride 4, as DrSleep's models: ceil(ceil(49 / 2) / 2)
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 49, 33), (5, 35, 47)]
    assert all(torch.isfinite(o["sem_seg"]).all() for o in outputs)


def test_dropout_acts_in_training_only():
    torch.manual_seed(0)
    model = build_model(cfg_of("Base-RefineNet.yaml", *TINY))
    x = torch.randn(1, 3, 65, 97)
    feats = model.backbone.eval()(x)
    head = model.decode_head
    head.eval()
    assert torch.equal(head(feats), head(feats))
    head.train()
    torch.manual_seed(1)
    a = head(feats)
    torch.manual_seed(2)
    assert not torch.equal(a, head(feats))
    assert head.feature_dropout.p == 0.5 and head.dropout.p == 0.5
    assert head.dropout_features == {"res5", "res4"}


@pytest.mark.parametrize("opts, message", [
    (("MODEL.HEAD.NAME", "FCNHead"), "MODEL.HEAD.NAME FCNHead reads one map: MODEL.HEAD.IN_FEATURES must have one name"),
    (("MODEL.HEAD.NORM", "BN"), "RefineNetHead has no normalization: its NORM must be '', got 'BN'"),
    (("MODEL.REFINENET.CRP_STAGES", "0"), "MODEL.REFINENET.CRP_STAGES must be at least 1, got 0"),
    (("MODEL.REFINENET.KERNEL_SIZE", "5"), "MODEL.REFINENET.KERNEL_SIZE must be 1 or 3, got 5"),
    (("MODEL.REFINENET.OUTPUT_RCUS", "-1"), "OUTPUT_RCUS must be >= 0"),
    (("MODEL.RESNETS.OUT_FEATURES", "['res3', 'res4', 'res5']"), "MODEL.HEAD.IN_FEATURES .* must name maps among"),
    (("MODEL.REFINENET.FEATURE_DROPOUT", "1.5"), "MODEL.REFINENET.FEATURE_DROPOUT must be in \\[0, 1\\), got 1.5"),
    (("MODEL.REFINENET.DROPOUT_FEATURES", "['res1']"), "DROPOUT_FEATURES \\['res1'\\] must be among the head's IN_FEATURES"),
])
def test_bad_settings_are_named(opts, message):
    with pytest.raises(ValueError, match=message):
        meta_model("Base-RefineNet.yaml", *opts)
