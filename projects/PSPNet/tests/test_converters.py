"""ImageNet initialisation (hszhao's deep-stem ResNets, mmsegmentation's ResNetV1c, torchvision's)
and mmsegmentation's trained PSPNet.

The checkpoints are fabricated here with each layout's key names and shapes, written independently
of the model code: a deep or plain stem, then torchvision-style bottleneck stages and an fc layer.
"""
import os

import torch

from seg_engine.checkpoint import Checkpointer, convert_weights
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))

RESNET50_BLOCKS = (3, 4, 6, 3)


def batchnorm(prefix, channels):
    return {f"{prefix}.{n}": (channels,) for n in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()
    }


def stem_shapes(layout, base):
    """(key -> shape, output channels) of the stem of ``layout``."""
    if layout == "torchvision":
        return {"conv1.weight": (base, 3, 7, 7), **batchnorm("bn1", base)}, base
    if layout == "semseg":  # conv1..bn3 of 64, 64, 128 channels
        widths, names = (base, base, 2 * base), ("conv1", "bn1", "conv2", "bn2", "conv3", "bn3")
    else:  # mmseg: stem.0..stem.7 of 32, 32, 64 channels
        widths, names = (base // 2, base // 2, base), ("stem.0", "stem.1", "stem.3", "stem.4", "stem.6", "stem.7")
    shapes, in_ch = {}, 3
    for width, conv, norm in zip(widths, names[0::2], names[1::2]):
        shapes[f"{conv}.weight"] = (width, in_ch, 3, 3)
        shapes.update(batchnorm(norm, width))
        in_ch = width
    return shapes, in_ch


def imagenet_resnet50_shapes(layout, base=64):
    shapes, in_ch = stem_shapes(layout, base)
    for stage, num_blocks in enumerate(RESNET50_BLOCKS):
        width = base * 2**stage
        for block in range(num_blocks):
            p = f"layer{stage + 1}.{block}"
            shapes[f"{p}.conv1.weight"] = (width, in_ch, 1, 1)
            shapes[f"{p}.conv2.weight"] = (width, width, 3, 3)
            shapes[f"{p}.conv3.weight"] = (4 * width, width, 1, 1)
            for norm, channels in (("bn1", width), ("bn2", width), ("bn3", 4 * width)):
                shapes.update(batchnorm(f"{p}.{norm}", channels))
            if block == 0:
                shapes[f"{p}.downsample.0.weight"] = (4 * width, in_ch, 1, 1)
                shapes.update(batchnorm(f"{p}.downsample.1", 4 * width))
            in_ch = 4 * width
    shapes["fc.weight"], shapes["fc.bias"] = (1000, in_ch), (1000,)
    return shapes


def random_state(shapes):
    g = torch.Generator().manual_seed(0)
    return {k: torch.randint(0, 100, s, generator=g) if k.endswith("num_batches_tracked") else torch.randn(s, generator=g)
            for k, s in shapes.items()}


def pspnet_cfg(*opts):
    return load_config(os.path.join(os.path.dirname(HERE), "configs", "Base-PSPNet.yaml"),
                       "MODEL.NUM_CLASSES", "150", "MODEL.DEVICE", "cpu", *opts)


V1C = ("MODEL.RESNETS.STEM_WIDTH", "32")
CASES = {  # layout: (converter, config overrides)
    "semseg": ("semseg_resnet_imagenet", ()),
    "mmseg": ("mmseg_resnet_v1c", V1C),
    "torchvision": ("", ("MODEL.RESNETS.STEM", "basic")),
}


def test_full_size_checkpoints_cover_the_backbone_with_the_same_shapes():
    for layout, (converter, opts) in CASES.items():
        shapes = imagenet_resnet50_shapes(layout)
        ours = state_shapes(build_on_meta(pspnet_cfg(*opts)))
        backbone = {k for k in ours if k.startswith("backbone.")}
        if converter:
            fabricated = {k: torch.empty(s, device="meta") for k, s in shapes.items()}
            converted = {k: tuple(v.shape) for k, v in convert_weights(fabricated, converter).items()}
        else:  # torchvision: the Checkpointer prefixes backbone.
            converted = {f"backbone.{k}": s for k, s in shapes.items() if not k.startswith("fc.")}
        assert set(converted) == backbone, layout
        assert {k: s for k, s in converted.items() if ours[k] != s} == {}, layout


def test_narrow_checkpoints_load_through_model_weights(tmp_path):
    for layout, (converter, opts) in CASES.items():
        if layout == "mmseg":
            opts = ("MODEL.RESNETS.STEM_WIDTH", "4")  # half of base 8, as 32 is of 64
        state = random_state(imagenet_resnet50_shapes(layout, base=8))
        path = str(tmp_path / f"{layout}.pth")
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}} if layout == "semseg" else state, path)
        cfg = pspnet_cfg("MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
                         "MODEL.WEIGHTS", path, "MODEL.WEIGHTS_FORMAT", converter, *opts)
        model = build_model(cfg)
        head_before = model.decode_head.classifier.weight.clone()
        Checkpointer(model, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load(cfg.MODEL.WEIGHTS, checkpointables=[])
        loaded = model.state_dict()
        expected = convert_weights(state, converter) if converter else {
            f"backbone.{k}": v for k, v in state.items() if not k.startswith("fc.")}
        assert len(expected) == len([k for k in loaded if k.startswith("backbone.")])
        assert all(torch.equal(loaded[k], v) for k, v in expected.items()), layout
        first_conv = {"semseg": "conv1.weight", "mmseg": "stem.0.weight", "torchvision": "conv1.weight"}[layout]
        assert torch.equal(loaded["backbone.conv1.weight"], state[first_conv]), layout
        assert torch.equal(loaded["backbone.layer4.2.bn3.running_var"], state["layer4.2.bn3.running_var"]), layout
        assert torch.equal(loaded["backbone.layer1.0.downsample.0.weight"], state["layer1.0.downsample.0.weight"])
        assert torch.equal(model.decode_head.classifier.weight, head_before), "heads keep their initialisation"


def test_mmpretrain_backbone_prefix_is_accepted():
    state = {"backbone.stem.0.weight": torch.zeros(1), "backbone.layer1.0.conv1.weight": torch.zeros(1),
             "head.fc.weight": torch.zeros(1)}
    assert sorted(convert_weights(state, "mmseg_resnet_v1c")) == ["backbone.conv1.weight", "backbone.layer1.0.conv1.weight"]


def conv_module(prefix, out_ch, in_ch, k):
    """mmcv's ConvModule with a norm: ``conv`` (no bias) and ``bn``."""
    return {f"{prefix}.conv.weight": (out_ch, in_ch, k, k)} | batchnorm(f"{prefix}.bn", out_ch)


def test_mmseg_pspnet_r50_d8_maps_onto_the_v1c_model():
    shapes = {f"backbone.{k}": s for k, s in imagenet_resnet50_shapes("mmseg").items() if not k.startswith("fc.")}
    for i in range(4):
        shapes |= conv_module(f"decode_head.psp_modules.{i}.1", 512, 2048, 1)
    shapes |= conv_module("decode_head.bottleneck", 512, 4096, 3)
    shapes |= {"decode_head.conv_seg.weight": (150, 512, 1, 1), "decode_head.conv_seg.bias": (150,)}
    shapes |= conv_module("auxiliary_head.convs.0", 256, 1024, 3)
    shapes |= {"auxiliary_head.conv_seg.weight": (150, 256, 1, 1), "auxiliary_head.conv_seg.bias": (150,)}
    converted = convert_weights({"state_dict": {k: torch.empty(s, device="meta") for k, s in shapes.items()},
                                 "meta": {}}, "mmseg_pspnet")
    ours = state_shapes(build_on_meta(pspnet_cfg(*V1C, "MODEL.RESNETS.FIRST_BLOCK_DILATION", "half",
                                                 "MODEL.ALIGN_CORNERS", "False", "MODEL.PSP.REDUCTION_CHANNELS", "512")))
    assert len(converted) == len(shapes)
    assert {k: tuple(v.shape) for k, v in converted.items()} == ours
