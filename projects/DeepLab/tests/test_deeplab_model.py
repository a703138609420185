"""DeepLabv3 / v3+ structure and behaviour: the ASPP switches, train and eval outputs at odd sizes, the
test-time output stride, the batch-1 error."""
import os
import sys

import pytest
import torch
from torch import nn

from seg_engine.modeling.layers import SeparableConv2d
from seg_engine.utils.testing import build_on_meta, image_batch as batch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_test_helpers import NARROW, config, meta_model, narrow_model

V3 = ("MODEL.META_ARCHITECTURE", "DeepLabV3", "MODEL.HEAD.NAME", "ASPPHead")
AUX = ("MODEL.AUX_HEAD.ENABLED", "True")


@pytest.mark.parametrize("recipe, opts", [("Base-DeepLabV3.yaml", AUX), ("Base-DeepLabV3Plus.yaml", AUX),
                                          ("Base-DeepLabV3-torchvision.yaml", ()), ("Base-DeepLabV3Plus-mmseg.yaml", ())])
def test_train_losses_and_eval_scores_at_odd_sizes(recipe, opts):
    model = narrow_model(recipe, *opts).train()
    losses = model(batch((65, 97), (47, 71), with_masks=True))
    assert set(losses) == {"loss_sem_seg", "loss_aux"}
    assert all(torch.isfinite(v) and v.ndim == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.decode_head.aspp.convs[3].parameters().__next__().grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        outputs = model(batch((65, 97), (47, 71)))
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 65, 97), (5, 47, 71)]
    assert all(torch.isfinite(o["sem_seg"]).all() for o in outputs)


def test_v3plus_decoder_layout_and_feature_sizes():
    model = narrow_model("Base-DeepLabV3Plus.yaml").eval()
    head = model.decode_head
    assert head.low_level[0].in_channels == 8 and head.low_level[0].out_channels == 8  # res2 of ResNet-18 at 8 -> 8
    assert head.fuse[0][0].in_channels == 16 + 8 and head.fuse[0][0].kernel_size == (3, 3) and len(head.fuse) == 2
    seen = {}
    head.fuse.register_forward_hook(lambda m, i, o: seen.update(fuse=o.shape))
    head.aspp.register_forward_hook(lambda m, i, o: seen.update(aspp=o.shape))
    with torch.no_grad():
        model.predict_logits(torch.randn(1, 3, 65, 97))
    assert seen["aspp"][-2:] == (5, 7)  # output stride 16
    assert seen["fuse"][-2:] == (17, 25)  # stride 4


def test_aspp_switches_change_the_layers():
    model = narrow_model("Base-DeepLabV3Plus.yaml", "MODEL.ASPP.POOL_NORM", "False", "MODEL.ASPP.PROJECT_KERNEL", "3",
                         "MODEL.ASPP.SEPARABLE", "True", "MODEL.DEEPLAB.DECODER_SEPARABLE", "True",
                         "MODEL.ASPP.RATES", "(3, 5)", "MODEL.ASPP.DROPOUT", "0.25")
    aspp = model.decode_head.aspp
    pool_conv = aspp.pool[1]
    assert pool_conv[0].bias is not None and isinstance(pool_conv[1], nn.Identity)
    assert aspp.project[0].kernel_size == (3, 3) and aspp.project[0].in_channels == 4 * 16
    assert [type(b) for b in aspp.convs] == [type(aspp.convs[0]), SeparableConv2d, SeparableConv2d]
    assert aspp.rates == [3, 5] and aspp.convs[2].conv_dw.padding == (5, 5)
    assert isinstance(aspp.convs[1].act_dw, nn.ReLU) and isinstance(aspp.convs[1].act_pw, nn.ReLU)
    assert all(isinstance(m, SeparableConv2d) for m in model.decode_head.fuse)
    assert aspp.dropout.p == 0.25
    tv = meta_model("Base-DeepLabV3-torchvision.yaml")
    assert isinstance(tv.decode_head.post_conv[0], nn.Conv2d) and tv.decode_head.post_conv[0].kernel_size == (3, 3)
    assert isinstance(meta_model("Base-DeepLabV3.yaml").decode_head.post_conv, nn.Identity)


def test_pool_position_only_permutes_the_projection_input():
    first = narrow_model("Base-DeepLabV3.yaml", "MODEL.ASPP.POOL_POSITION", "first").eval()
    last = narrow_model("Base-DeepLabV3.yaml", "MODEL.ASPP.POOL_POSITION", "last").eval()
    state = first.state_dict()
    w = state["decode_head.aspp.project.0.weight"]  # blocks of 16 input channels: [pool, 1x1, r1, r2, r3]
    state["decode_head.aspp.project.0.weight"] = torch.cat([w[:, 16:], w[:, :16]], dim=1)
    last.load_state_dict(state)
    x = torch.randn(1, 3, 65, 97)
    with torch.no_grad():
        a, b = first.predict_logits(x), last.predict_logits(x)
    assert torch.allclose(a, b, atol=1e-5)
    state["decode_head.aspp.project.0.weight"] = w
    last.load_state_dict(state)
    with torch.no_grad():
        assert not torch.allclose(last.predict_logits(x), a, atol=1e-3)


def test_training_on_one_image_with_bn_in_the_pooling_branch_names_the_key():
    model = narrow_model("Base-DeepLabV3Plus.yaml").train()
    with pytest.raises(ValueError, match=r"^ASPP: BatchNorm in the image-pooling branch cannot train on 1 image per "
                                         r"process .*set MODEL.ASPP.POOL_NORM False") as info:
        model(batch((65, 97), with_masks=True))
    assert "\n" not in str(info.value)
    model.eval()
    with torch.no_grad():
        assert model(batch((65, 97)))[0]["sem_seg"].shape == (5, 65, 97)  # evaluation of one image is fine
    without_norm = narrow_model("Base-DeepLabV3Plus.yaml", "MODEL.ASPP.POOL_NORM", "False").train()
    assert torch.isfinite(without_norm(batch((65, 97), with_masks=True))["loss_sem_seg"])


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["Base-DeepLabV3.yaml", "Base-DeepLabV3Plus.yaml"])
def test_eval_at_output_stride_8_equals_a_model_built_at_8_with_doubled_rates(recipe):
    switching = narrow_model(recipe, "MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "8", "MODEL.ASPP.POOL_NORM", "False")
    losses = switching(batch((65, 97), (47, 71), with_masks=True))  # a training step at output stride 16
    sum(losses.values()).backward()
    with torch.no_grad():
        for p in switching.parameters():
            p -= 0.1 * p.grad
    built_at_8 = narrow_model(recipe, "MODEL.RESNETS.OUTPUT_STRIDE", "8", "MODEL.ASPP.RATES", "(12, 24, 36)",
                              "MODEL.ASPP.POOL_NORM", "False")
    built_at_8.load_state_dict(switching.state_dict())
    switching.eval(), built_at_8.eval()
    assert switching.decode_head.aspp.rates == [12, 24, 36]
    assert [b.conv2.dilation[0] for b in switching.backbone.layer4] == [4, 8]  # multi-grid (1, 2) at rate 4
    x = torch.randn(2, 3, 65, 97)
    with torch.no_grad():
        assert torch.equal(switching.predict_logits(x), built_at_8.predict_logits(x))
        features = switching.backbone(x)
    assert features["res5"].shape[-2:] == (9, 13)
    switching.train()
    assert switching.decode_head.aspp.rates == [6, 12, 18]
    assert [b.conv2.dilation[0] for b in switching.backbone.layer4] == [2, 4]
    assert switching.backbone(x)["res5"].shape[-2:] == (5, 7)


@pytest.mark.parametrize("opts, message", [
    (("MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "4"), r"MODEL.DEEPLAB.TEST_OUTPUT_STRIDE 4 must be 0 or one of \(8, 16, 32\)"),
    (("MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "32", "MODEL.ASPP.RATES", "(3, 6, 9)"),
     r"MODEL.DEEPLAB.TEST_OUTPUT_STRIDE 32: the ASPP rates \(3, 6, 9\) at output stride 16 do not scale"),
    (("MODEL.ASPP.POOL_POSITION", "middle"), "MODEL.ASPP.POOL_POSITION must be one of"),
    (("MODEL.ASPP.PROJECT_KERNEL", "5"), r"MODEL.ASPP.PROJECT_KERNEL must be one of \(1, 3\), got 5"),
    (("MODEL.ASPP.RATES", "(6, 0)"), r"MODEL.ASPP.RATES must be positive ints, got \(6, 0\)"),
    (("MODEL.DEEPLAB.LOW_LEVEL_FEATURE", "res3"), "MODEL.DEEPLAB.LOW_LEVEL_FEATURE 'res3' is not among"),
])
def test_bad_settings_name_the_key(opts, message):
    with pytest.raises(ValueError, match=message):
        build_on_meta(config("Base-DeepLabV3Plus.yaml", *NARROW, *opts))


JPU = ("MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.RESNETS.DILATIONS", "[1, 1, 2, 4]", "MODEL.RESNETS.MULTI_GRID", "()",
       "MODEL.RESNETS.OUT_FEATURES", '["res3", "res4", "res5"]', "MODEL.NECK.NAME", "JPU", "MODEL.JPU.WIDTH", "4")


def test_jpu_neck_feeds_the_aspp_at_stride_8_and_trains_and_evaluates_at_odd_sizes():
    model = narrow_model("Base-DeepLabV3-mmseg.yaml", *JPU).train()
    assert model.decode_head.aspp.convs[0][0].in_channels == 4 * 4 and model.aux_head.convs[0][0].in_channels == 32  # res4
    seen = {}
    model.decode_head.aspp.register_forward_hook(lambda m, i, o: seen.update(aspp=i[0].shape))
    losses = model(batch((65, 97), (47, 71), with_masks=True))
    assert set(losses) == {"loss_sem_seg", "loss_aux"} and all(torch.isfinite(v) for v in losses.values())
    assert seen["aspp"] == (2, 16, 9, 13)  # the JPU's output: res3's stride 8 of the padded 65x97 batch
    sum(losses.values()).backward()
    assert model.neck.branches[3].conv_dw.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        outputs = model(batch((65, 97), (47, 71)))
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 65, 97), (5, 47, 71)]
    without = narrow_model("Base-DeepLabV3-mmseg.yaml")
    assert without.neck is None and without.decode_head.aspp.convs[0][0].in_channels == 64  # res5


def test_jpu_refuses_a_test_output_stride():
    with pytest.raises(ValueError, match=r"MODEL.DEEPLAB.TEST_OUTPUT_STRIDE 16: with a neck \(MODEL.NECK.NAME JPU\) the "
                                         r"output stride is the neck's \(8\); set it to 0"):
        build_on_meta(config("Base-DeepLabV3-mmseg.yaml", *NARROW, *JPU, "MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "16"))
