"""EncNet's structure: the authors' parameter counts, dilations, outputs and losses in train and eval."""
import os

import pytest
import torch
from torch import nn

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)

from seg_engine_projects.encnet import EncNet  # noqa: E402
from seg_engine_projects.encnet.enc_module import code_norm  # noqa: E402

BASE = os.path.join(PROJECT, "configs", "Base-EncNet.yaml")
NARROW = [
    "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
    "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.ENCNET.NUM_CODES", "4",
]


def encnet_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_file(BASE)
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", *opts])
    return cfg


def meta_model(*opts):
    cfg = encnet_cfg("MODEL.NUM_CLASSES", "150", "MODEL.DEVICE", "meta", *opts)
    with torch.device("meta"):
        return build_model(cfg)


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def batch(sizes, num_classes=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        {
            "image": torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8),
            "sem_seg": torch.randint(0, num_classes, (h, w), generator=g),
            "height": h,
            "width": w,
        }
        for h, w in sizes
    ]


def test_resnet50_has_the_authors_parameter_count():
    """36,164,578 as PyTorch-Encoding's EncNet(150, 'resnet50s', aux=True, se_loss=True)."""
    model = meta_model()
    assert isinstance(model, EncNet)
    assert num_params(model) == 36_164_578
    head = model.decode_head
    assert head.bottleneck[0].kernel_size == (3, 3) and head.bottleneck[0].in_channels == 2048
    assert head.enc_module.encoding.codewords.shape == (32, 512)
    assert isinstance(head.enc_module.code_norm, nn.BatchNorm1d) and head.enc_module.code_norm.num_features == 32
    assert isinstance(head.dropout, nn.Dropout) and head.dropout.p == 0.1
    assert head.se_classifier.out_features == 150
    assert model.aux_head.convs[0][0].in_channels == 1024 and model.aux_head.convs[0][0].out_channels == 256
    assert isinstance(model.aux_head.dropout, nn.Dropout)
    # PyTorch-Encoding's dilation: layer3 1 then 2, layer4 2 then 4.
    assert [b.conv2.dilation[0] for b in model.backbone.layer3] == [1, 2, 2, 2, 2, 2]
    assert [b.conv2.dilation[0] for b in model.backbone.layer4] == [2, 4, 4]
    stem = model.backbone
    assert [stem.conv1.out_channels, stem.conv2.out_channels, stem.conv3.out_channels] == [64, 64, 128]


def test_jpu_variant_parameter_count():
    """47,511,522: FastFCN's EncNet+JPU ResNet-50 (49,560,522) less its unused ImageNet fc (2,049,000)."""
    model = meta_model("MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.NECK.NAME", "JPU", "MODEL.ENCNET.DROPOUT_2D", "True")
    assert num_params(model) == 49_560_522 - 2_049_000
    assert model.decode_head.bottleneck[0].kernel_size == (1, 1)
    assert model.decode_head.bottleneck[0].in_channels == 2048
    assert isinstance(model.decode_head.dropout, nn.Dropout2d) and isinstance(model.aux_head.dropout, nn.Dropout2d)


def test_variants_remove_or_add_parameters():
    base = num_params(meta_model())
    no_se = meta_model("MODEL.ENCNET.SE_LOSS", "False")
    assert no_se.decode_head.se_classifier is None and num_params(no_se) == base - (512 * 150 + 150)
    lateral = meta_model("MODEL.ENCNET.LATERAL", "True")
    # 1x1 convs from res3 (512) and res4 (1024) plus the 3x3 fusion 1536 -> 512, each with BN.
    assert num_params(lateral) - base == 512 * 512 + 1024 * 512 + 1536 * 512 * 9 + 3 * 2 * 512


@pytest.mark.parametrize("lateral", [False, True])
def test_train_outputs_and_losses_with_odd_sizes(lateral):
    torch.manual_seed(0)
    model = build_model(encnet_cfg(*NARROW, "MODEL.ENCNET.LATERAL", str(lateral)))
    model.train()
    inputs = batch([(65, 65), (57, 71)])
    images, _ = model.preprocess_images(inputs)
    outputs = model.decode(model.backbone(images))
    assert outputs["sem_seg"].shape == (2, 5, 9, 9)
    assert outputs["aux"].shape == (2, 5, 9, 9)
    assert outputs["se"].shape == (2, 5)
    losses = model(inputs)
    assert set(losses) == {"loss_sem_seg", "loss_aux", "loss_se"}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.decode_head.enc_module.encoding.codewords.grad.abs().sum() > 0
    assert model.decode_head.se_classifier.weight.grad.abs().sum() > 0


def test_se_loss_weight_scales_the_loss():
    torch.manual_seed(0)
    model = build_model(encnet_cfg(*NARROW, "MODEL.ENCNET.SE_LOSS_WEIGHT", "1.0")).train()
    inputs = batch([(33, 33), (33, 33)])
    torch.manual_seed(1)
    full = model(inputs)["loss_se"]
    model.loss_weights["se"] = 0.2
    torch.manual_seed(1)
    assert model(inputs)["loss_se"].item() == pytest.approx(0.2 * full.item(), rel=1e-5)


def test_eval_returns_logits_at_each_original_size():
    torch.manual_seed(0)
    model = build_model(encnet_cfg(*NARROW)).eval()
    inputs = batch([(65, 65), (57, 71)])
    with torch.no_grad():
        results = model(inputs)
    assert [r["sem_seg"].shape for r in results] == [(5, 65, 65), (5, 57, 71)]
    assert set(model.decode(model.backbone(torch.zeros(1, 3, 33, 33)))) == {"sem_seg"}


def test_jpu_model_train_and_eval_shapes():
    torch.manual_seed(0)
    model = build_model(encnet_cfg(*NARROW, "MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.NECK.NAME", "JPU",
                                   "MODEL.JPU.WIDTH", "8"))
    assert model.decode_head.bottleneck[0].in_channels == 32
    inputs = batch([(65, 65), (57, 71)])
    images, _ = model.preprocess_images(inputs)
    outputs = model.train().decode(model.extract_features(images))
    assert outputs["sem_seg"].shape == (2, 5, 9, 9)  # the JPU output at res3's stride 8
    assert outputs["aux"].shape == (2, 5, 5, 5)  # res4 at stride 16
    assert set(model(inputs)) == {"loss_sem_seg", "loss_aux", "loss_se"}
    with torch.no_grad():
        results = model.eval()(inputs)
    assert [r["sem_seg"].shape for r in results] == [(5, 65, 65), (5, 57, 71)]


def test_lateral_with_jpu_is_refused():
    with pytest.raises(ValueError, match=r"LATERAL concatenates \['res5', 'res3', 'res4'\].*strides are \[8, 8, 16\]"):
        build_model(encnet_cfg(*NARROW, "MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.NECK.NAME", "JPU",
                               "MODEL.ENCNET.LATERAL", "True"))


def test_lateral_needs_its_features_at_one_stride():
    """The laterals are concatenated with the head's input unresized: at output stride 16, res3 is at 8."""
    with pytest.raises(ValueError, match=r"LATERAL concatenates \['res5', 'res3', 'res4'\].*strides are \[16, 8, 16\]"):
        build_model(encnet_cfg(*NARROW, "MODEL.RESNETS.OUTPUT_STRIDE", "16", "MODEL.ENCNET.LATERAL", "True"))


def test_code_norm_choices():
    assert isinstance(code_norm("SyncBN", 4), nn.SyncBatchNorm)
    assert isinstance(code_norm("GN", 4), nn.GroupNorm)
    assert isinstance(code_norm("", 4), nn.Identity)
    with pytest.raises(ValueError, match="FrozenBN"):
        code_norm("FrozenBN", 4)
