"""FCN-32s/16s/8s: the port's parameter counts, the bilinear deconvolutions, the crop offsets, outputs of
exactly the input's size at odd sizes, train losses and eval outputs."""
import os

import pytest
import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, image_batch, load_config, num_params

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)

from seg_engine_projects.fcn import BilinearUpsample, bilinear_kernel  # noqa: E402  (registered by load_plugin)
from seg_engine_projects.fcn.alignment import crop_offsets  # noqa: E402

BASE = os.path.join(PROJECT, "configs", "Base-FCN-VGG16.yaml")


def fcn_cfg(*opts):
    return load_config(BASE, "MODEL.DEVICE", "cpu", *opts)


@pytest.mark.parametrize("stride, total, trainable", [
    (32, 136_152_917, 134_346_581),
    (16, 134_815_994, 134_357_354),
    (8, 134_489_759, 134_362_751),
])
def test_parameter_counts_of_the_pytorch_port(stride, total, trainable):
    """wkentaro/pytorch-fcn's FCN32s/16s/8s(n_class=21) counts, fixed deconvolutions included; without them
    the learnable rest."""
    model = build_on_meta(fcn_cfg("MODEL.FCN.STRIDE", str(stride)))
    assert num_params(model) == total
    assert num_params(model, trainable_only=True) == trainable
    assert model.backbone.features[0].padding == (100, 100)
    assert all(m.ceil_mode for m in model.backbone.features if isinstance(m, torch.nn.MaxPool2d))


def test_crop_offsets_are_the_authors():
    assert crop_offsets(32, 100) == {"input": 19}
    assert crop_offsets(16, 100) == {"pool4": 5, "input": 27}
    assert crop_offsets(8, 100) == {"pool4": 5, "pool3": 9, "input": 31}
    with pytest.raises(ValueError, match="MODEL.VGG.FIRST_PADDING 1 .* offset would be -80"):
        crop_offsets(32, 1)


def test_bilinear_deconvolution_is_caffe_interp_and_fixed():
    # surgery.upsample_filt(4): [0.25, 0.75, 0.75, 0.25] outer itself.
    ramp = torch.tensor([0.25, 0.75, 0.75, 0.25])
    assert torch.equal(bilinear_kernel(4), ramp[:, None] * ramp[None, :])
    up = BilinearUpsample(3, 2)
    assert not up.weight.requires_grad and up.bias is None
    assert torch.equal(up.weight[0, 1], torch.zeros(4, 4)) and torch.equal(up.weight[2, 2], bilinear_kernel(4))
    # A constant map stays constant inside (away from the border the kernels overlap to sum 1).
    out = up(torch.ones(1, 3, 5, 5))
    assert torch.allclose(out[:, :, 2:-2, 2:-2], torch.ones(1, 3, 8, 8))
    assert BilinearUpsample(3, 2, learnable=True).weight.requires_grad


def narrow_cfg(stride, *opts):
    return fcn_cfg("MODEL.NUM_CLASSES", "3", "MODEL.VGG.BASE_WIDTH", "4", "MODEL.VGG.FC_CHANNELS", "16",
                   "MODEL.FCN.STRIDE", str(stride), *opts)


def randomized(model):
    """Random score layers (they start at zero, which would hide misalignment)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "score" in name:
                p.copy_(torch.randn(p.shape, generator=g))
    return model


@pytest.mark.parametrize("stride", [32, 16, 8])
def test_logits_come_out_at_exactly_the_input_size(stride):
    torch.manual_seed(0)
    model = randomized(build_model(narrow_cfg(stride))).eval()
    x = model.preprocess_images(image_batch((47, 71)))[0]
    with torch.no_grad():
        for h, w in ((47, 71), (33, 32), (1, 1)):
            logits = model.decode(model.backbone(x[:, :, :h, :w]))["sem_seg"]
            assert logits.shape == (1, 3, h, w)


def test_crops_align_the_skips_with_the_upsampled_stream():
    """Shifting the input by 8 pixels shifts the FCN-8s logits by 8: the crops keep every stream aligned
    (stride 8 is the coarsest grid all three share after upsampling; pools round up, so shift by 32)."""
    torch.manual_seed(0)
    model = randomized(build_model(narrow_cfg(8))).eval()
    x = torch.randn(1, 3, 64 + 32, 96 + 32)
    with torch.no_grad():
        full = model.decode(model.backbone(x))["sem_seg"]
        shifted = model.decode(model.backbone(x[:, :, 32:, 32:]))["sem_seg"]
    # Away from the borders (the padding of 100 and the receptive fields reach them) the logits agree.
    torch.testing.assert_close(full[:, :, 32 + 40 : -40, 32 + 40 : -40], shifted[:, :, 40:-40, 40:-40], rtol=1e-4, atol=1e-4)


def test_at_once_scales_multiply_pool4_and_pool3():
    torch.manual_seed(0)
    plain = randomized(build_model(narrow_cfg(8))).eval()
    torch.manual_seed(0)
    scaled = randomized(build_model(narrow_cfg(8, "MODEL.FCN.POOL4_SCALE", "0.01", "MODEL.FCN.POOL3_SCALE", "0.0001"))).eval()
    with torch.no_grad():
        scaled.decode_head.score_pool4.weight.mul_(100)
        scaled.decode_head.score_pool3.weight.mul_(10000)
        x = torch.randn(1, 3, 33, 49)
        torch.testing.assert_close(scaled.decode(scaled.backbone(x))["sem_seg"], plain.decode(plain.backbone(x))["sem_seg"],
                                   rtol=1e-4, atol=1e-3)


def test_score_layers_start_at_zero_and_2x_deconvs_can_learn():
    model = build_model(narrow_cfg(8, "MODEL.FCN.LEARN_2X_UPSAMPLING", "True"))
    head = model.decode_head
    assert all(float(getattr(head, n).weight.detach().abs().sum()) == 0 for n in ("score_fr", "score_pool4", "score_pool3"))
    assert head.upscore2.weight.requires_grad and head.upscore_pool4.weight.requires_grad
    assert not head.upscore8.weight.requires_grad


def test_training_returns_the_loss_and_gradients_reach_the_skips():
    torch.manual_seed(0)
    model = randomized(build_model(narrow_cfg(8, "MODEL.LOSS.AVERAGE", "sum"))).train()
    losses = model(image_batch((33, 49), (47, 31), with_masks=True, classes=3))
    assert set(losses) == {"loss_sem_seg"} and torch.isfinite(losses["loss_sem_seg"])
    losses["loss_sem_seg"].backward()
    head = model.decode_head
    assert head.score_pool3.weight.grad.abs().sum() > 0 and head.score_fr.weight.grad.abs().sum() > 0
    assert head.upscore8.weight.grad is None


def test_eval_gives_scores_at_each_original_size_in_a_padded_batch():
    torch.manual_seed(0)
    model = randomized(build_model(narrow_cfg(16))).eval()
    batch = image_batch((33, 49), (47, 31))
    with torch.no_grad():
        outputs = model(batch)
        padded = model.preprocess_images(batch)[0]  # 47 x 49, the second image padded on the right
        logits = model.decode(model.backbone(padded))["sem_seg"]
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(3, 33, 49), (3, 47, 31)]
    # Each image's region of the padded batch's logits, cropped, not resized.
    assert torch.equal(outputs[0]["sem_seg"], logits[0, :, :33, :49])
    assert torch.equal(outputs[1]["sem_seg"], logits[1, :, :47, :31])


def test_bad_configurations_name_the_key():
    with pytest.raises(ValueError, match="MODEL.FCN.STRIDE must be one of .* got 4"):
        build_model(narrow_cfg(4))
    with pytest.raises(ValueError, match="add \\['pool3'\\] to MODEL.VGG.OUT_FEATURES"):
        build_model(narrow_cfg(8, "MODEL.VGG.OUT_FEATURES", "['conv1', 'pool4', 'fc7']"))
    with pytest.raises(ValueError, match="MODEL.HEAD.NAME FCNSkipHead reads the maps of one backbone: it needs "
                                         "MODEL.BACKBONE.NAME build_vgg_backbone, got build_resnet_backbone"):
        build_model(narrow_cfg(8, "MODEL.BACKBONE.NAME", "build_resnet_backbone"))
