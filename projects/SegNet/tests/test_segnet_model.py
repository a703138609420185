"""SegNet against segnet_train.prototxt: the layer table, the parameter count, the unpooling, the
encoder against torchvision's vgg16_bn, and exact output sizes at odd inputs in train and eval."""
import os

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.vgg import cfgs, make_layers

import seg_engine_projects.segnet.decoder as segnet_decoder
from seg_engine.checkpoint import Checkpointer
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine_projects.segnet import max_unpool

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(os.path.dirname(HERE), "configs", "Base-SegNet.yaml")
load_plugin(os.path.dirname(HERE))

# segnet_train.prototxt (SegNet-Tutorial bb68b64), in layer order: every Convolution (3x3, pad 1, with
# a bias) with its input and output channels and whether BN + ReLU follow; every Pooling (MAX 2x2/2,
# top "poolK_mask") and Upsample (bottom "poolK_mask"; upsample_h/w given for 360x480 where not 2x).
PROTOTXT = """
conv1_1 3 64 bn     | conv1_2 64 64 bn    | pool1
conv2_1 64 128 bn   | conv2_2 128 128 bn  | pool2
conv3_1 128 256 bn  | conv3_2 256 256 bn  | conv3_3 256 256 bn  | pool3
conv4_1 256 512 bn  | conv4_2 512 512 bn  | conv4_3 512 512 bn  | pool4
conv5_1 512 512 bn  | conv5_2 512 512 bn  | conv5_3 512 512 bn  | pool5
upsample5 23x30     | conv5_3_D 512 512 bn | conv5_2_D 512 512 bn | conv5_1_D 512 512 bn
upsample4 45x60     | conv4_3_D 512 512 bn | conv4_2_D 512 512 bn | conv4_1_D 512 256 bn
upsample3 90x120    | conv3_3_D 256 256 bn | conv3_2_D 256 256 bn | conv3_1_D 256 128 bn
upsample2 180x240   | conv2_2_D 128 128 bn | conv2_1_D 128 64 bn
upsample1 360x480   | conv1_2_D 64 64 bn   | conv1_1_D 64 11 -
"""
LAYERS = [entry.split() for line in PROTOTXT.strip().splitlines() for entry in line.split("|")]
CAMVID_PARAMS = 29_449_355  # the paper's 29.45M
VGG16_BN_FEATURES_PARAMS = 14_723_136


def cfg_of(*opts, num_classes=11):
    cfg = get_cfg()
    cfg.merge_from_file(BASE)
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", str(num_classes), *opts])
    return cfg


def narrow(*opts, num_classes=11):
    torch.manual_seed(0)
    return build_model(cfg_of("MODEL.VGG.BASE_WIDTH", "4", *opts, num_classes=num_classes))


def tv_vgg16_bn_features():
    """torchvision's ``vgg16_bn().features``, built by its own make_layers (without the 123M classifier)."""
    return make_layers(cfgs["D"], batch_norm=True)


@pytest.fixture(scope="module")
def full_model():
    torch.manual_seed(0)
    return build_model(cfg_of())


def our_layers(model):
    """The model's layers in forward order, as rows like the prototxt's (sizes left out)."""
    rows, convs = [], []
    feats = list(model.backbone.features)
    for i, m in enumerate(feats):
        if isinstance(m, nn.Conv2d):
            bn = isinstance(feats[i + 1], nn.BatchNorm2d) and isinstance(feats[i + 2], nn.ReLU)
            convs.append(m)
            rows.append([None, m.in_channels, m.out_channels, "bn" if bn else "-"])
        elif isinstance(m, nn.MaxPool2d):
            assert (m.kernel_size, m.stride, m.ceil_mode, m.return_indices) == (2, 2, True, True)
            rows.append(["pool"])
    head = model.decode_head
    for block, names in head.blocks:
        rows.append([f"upsample{block}"])
        for name in names:
            layer = getattr(head, name)
            conv = layer if isinstance(layer, nn.Conv2d) else layer[0]
            bn = not isinstance(layer, nn.Conv2d)
            bn = bn and isinstance(layer[1], nn.BatchNorm2d) and isinstance(layer[2], nn.ReLU)
            convs.append(conv)
            rows.append([name, conv.in_channels, conv.out_channels, "bn" if bn else "-"])
    return rows, convs


def test_layer_table_is_the_prototxt(full_model):
    rows, convs = our_layers(full_model)
    assert len(rows) == len(LAYERS)
    for ours, theirs in zip(rows, LAYERS):
        if theirs[0].startswith("pool"):
            assert ours == ["pool"]
        elif theirs[0].startswith("upsample"):
            assert ours == [theirs[0]]
        else:  # encoder convs are features.N in torchvision's layout; decoder convs carry the prototxt name
            assert ours[0] in (None, theirs[0]) and ours[1:] == [int(theirs[1]), int(theirs[2]), theirs[3]]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) and c.bias is not None for c in convs)
    assert len(convs) == 26 and sum(isinstance(m, nn.BatchNorm2d) for m in full_model.modules()) == 25


def test_parameter_count_and_encoder_is_vgg16_bn_features(full_model):
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(full_model) == CAMVID_PARAMS
    assert count(full_model.backbone) == VGG16_BN_FEATURES_PARAMS
    assert count(full_model.decode_head.conv1_1_D) == 64 * 11 * 9 + 11
    tv = tv_vgg16_bn_features()
    assert count(tv) == VGG16_BN_FEATURES_PARAMS
    ours = {k: v.shape for k, v in full_model.backbone.state_dict().items()}
    assert ours == {f"features.{k}": v.shape for k, v in tv.state_dict().items()}


def test_encoder_matches_torchvision_at_even_sizes(full_model):
    """With torchvision's weights (random, BN statistics randomised) the encoder is vgg16_bn.features:
    at sizes divisible by 32 ceil- and floor-mode pooling agree."""
    torch.manual_seed(1)
    tv = tv_vgg16_bn_features()
    for m in tv.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    backbone = full_model.backbone.eval()
    backbone.load_state_dict({f"features.{k}": v for k, v in tv.state_dict().items()})
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(backbone(x)["pool5"], tv.eval()(x))


def test_unpool_puts_each_value_back_at_its_argmax():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 7, 9) + 0.1  # odd sizes: ceil-mode pooling has partial windows at the border
    pooled, indices = F.max_pool2d(x, 2, 2, ceil_mode=True, return_indices=True)
    assert pooled.shape[-2:] == (4, 5)
    up = max_unpool(pooled, indices, x.shape[-2:])
    assert up.shape == x.shape
    for n in range(2):
        for c in range(3):
            for i in range(4):
                for j in range(5):
                    window = x[n, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                    wi, wj = divmod(int(window.argmax()), window.shape[1])
                    kept = up[n, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                    assert kept[wi, wj] == window[wi, wj] == pooled[n, c, i, j]
                    assert (kept != 0).sum() == 1
    # Without the explicit size the unpooled map would be 8 x 10, not the encoder's 7 x 9.
    assert F.max_unpool2d(pooled, indices, 2, 2).shape[-2:] == (8, 10)


def test_unpool_sizes_at_360x480_are_the_prototxts(monkeypatch):
    model = narrow().eval()
    sizes = []

    def recording(x, indices, size):
        sizes.append(tuple(size))
        return max_unpool(x, indices, size)

    monkeypatch.setattr(segnet_decoder, "max_unpool", recording)
    with torch.no_grad():
        logits = model.decode(model.backbone(torch.randn(1, 3, 360, 480)))["sem_seg"]
    expected = [tuple(int(v) for v in row[1].split("x")) for row in LAYERS if row[0].startswith("upsample")]
    assert sizes == expected and logits.shape == (1, 11, 360, 480)


@pytest.mark.parametrize("size", [(65, 97), (33, 49)])
def test_logits_are_exactly_the_input_size(size):
    model = narrow()
    x = torch.randn(1, 3, *size)
    for train in (True, False):
        model.train(train)
        assert model.decode(model.backbone(x))["sem_seg"].shape == (1, 11, *size)


def test_train_and_eval_at_odd_sizes_through_the_model():
    weights = str([0.5 + i / 10 for i in range(11)])
    model = narrow("MODEL.LOSS.CLASS_WEIGHTS", weights, "MODEL.LOSS.AVERAGE", "valid_pixels")
    g = torch.Generator().manual_seed(0)
    batch = [
        {"image": torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g),
         "sem_seg": torch.randint(0, 11, (h, w), generator=g), "height": h, "width": w}
        for h, w in ((65, 97), (33, 49))
    ]
    model.train()
    losses = model(batch)
    assert set(losses) == {"loss_sem_seg"} and torch.isfinite(losses["loss_sem_seg"])
    losses["loss_sem_seg"].backward()
    assert model.backbone.features[0].weight.grad.abs().sum() > 0
    assert model.decode_head.conv1_1_D.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        out = model(batch)
    assert [tuple(o["sem_seg"].shape) for o in out] == [(11, 65, 97), (11, 33, 49)]


def test_torchvision_checkpoint_loads_into_the_encoder(tmp_path):
    """torchvision's vgg16_bn file layout (``features.N.*`` plus ``classifier.*``) loads as it is:
    the Checkpointer matches it under ``backbone.`` and leaves the classifier out."""
    model = narrow()
    state = {k[len("backbone."):]: torch.randn_like(v.float()).to(v.dtype) for k, v in model.state_dict().items()
             if k.startswith("backbone.")}
    state["classifier.0.weight"] = torch.randn(8, 16)
    torch.save(state, tmp_path / "vgg16_bn.pth")
    decoder_before = model.decode_head.conv5_3_D[0].weight.clone()
    Checkpointer(model).load(str(tmp_path / "vgg16_bn.pth"), checkpointables=[])
    assert torch.equal(model.backbone.features[0].weight, state["features.0.weight"])
    assert torch.equal(model.backbone.features[41].running_var, state["features.41.running_var"])
    assert torch.equal(model.decode_head.conv5_3_D[0].weight, decoder_before)


@pytest.mark.parametrize("opts, message", [
    (["MODEL.BACKBONE.NAME", "build_resnet_backbone"], "MODEL.HEAD.NAME SegNetDecoder reads the maps of one backbone: "
                                                         "it needs MODEL.BACKBONE.NAME build_vgg_backbone"),
    (["MODEL.VGG.RETURN_INDICES", "False"], "set MODEL.VGG.RETURN_INDICES True"),
    (["MODEL.VGG.OUT_FEATURES", "['conv1', 'conv2', 'pool5']"],
     r"OUT_FEATURES must include \['conv3', 'conv4', 'conv5'\]"),
])
def test_wrong_settings_name_the_key(opts, message):
    with pytest.raises(ValueError, match=message):
        narrow(*opts)


def test_decoder_init_is_the_prototxt_fillers():
    head = narrow().decode_head
    bn = head.conv5_3_D[1]
    assert torch.all(bn.bias == segnet_decoder.BN_SHIFT_INIT) and torch.all(bn.weight == 1)
    assert torch.all(head.conv1_1_D.bias == 0)
