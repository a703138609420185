"""mmsegmentation's ImageNet ResNetV1c (``open-mmlab://resnet50_v1c``) and Swin Transformer, and its JPU neck
(FastFCN), the layouts of sub-networks that the projects' mmsegmentation converters reuse.

mmsegmentation concatenates the JPU's input maps shallowest first, FastFCN (and ``JPU`` here) deepest first, so
besides the renaming the branches' depthwise conv, its norm and the pointwise conv's input channels are reordered
block by block, which gives the same function.
"""
from typing import Any, Dict

import torch

from ..layout import WeightLayout, register_layout
from ..vocabulary import children, conv_module, prefix, separable_conv_module, strip_prefix

# mmsegmentation's stem = Sequential(conv, bn, relu, conv, bn, relu, conv, bn, relu): children 0/1, 3/4, 6/7.
STEM = {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3", "7": "bn3"}


register_layout(WeightLayout(
    name="mmseg_resnet_v1c",
    source="mmsegmentation's ImageNet ResNetV1c (open-mmlab://resnet50_v1c, resnet101_v1c: deep stem stem.0..stem.7) "
           "for MODEL.RESNETS.STEM_WIDTH 32, or the backbone of its r18b/r50b/r101b models (mmseg's ResNet: "
           "torchvision's stem conv1, bn1) for MODEL.RESNETS.STEM basic; a leading backbone. is accepted; the "
           "classifier is dropped",
    rules=children("stem", "backbone", STEM) + prefix(r"(conv1|bn1|layer[1-4])", r"backbone.\1"),
    drop=[r"fc\.", r"head\."],
    prepare=strip_prefix(),  # mmpretrain's classifiers (and mmsegmentation's checkpoints) keep it under backbone.
))

# mmsegmentation's SwinTransformer (its tools/model_converters/swin2mmseg.py renames the authors' files) -> the core
# Swin backbone (the authors' names): per block attn.w_msa, ffn.layers.0.0/1 and stages.<i> for layers.<i>.
_MMSEG_BLOCK = r"stages\.(\d+)\.blocks\.(\d+)\."
_OUR_BLOCK = r"backbone.layers.\1.blocks.\2."
SWIN_RULES = (
    children(r"patch_embed", "backbone.patch_embed", {"projection": "proj", "norm": "norm"})
    + [(_MMSEG_BLOCK + r"attn\.w_msa\.", _OUR_BLOCK + "attn."),
       (_MMSEG_BLOCK + r"ffn\.layers\.0\.0\.", _OUR_BLOCK + "mlp.fc1."),
       (_MMSEG_BLOCK + r"ffn\.layers\.1\.", _OUR_BLOCK + "mlp.fc2."),
       (_MMSEG_BLOCK + r"(norm[12])\.", _OUR_BLOCK + r"\3.")]
    + prefix(r"stages\.(\d+)\.downsample", r"backbone.layers.\1.downsample")
    + prefix(r"(norm\d)", r"backbone.\1")
)
# Buffers that the window size determines (made by the backbone, never loaded).
SWIN_DERIVED = [r".*relative_position_index$", r".*attn_mask$"]


def unfold_to_neighbour_order(state: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's patch merging concatenates the 2x2 neighbours by nn.Unfold (channel-major, the neighbours
    (0,0), (0,1), (1,0), (1,1)); ours and the authors' neighbour-major as (0,0), (1,0), (0,1), (1,1). The inverse of
    swin2mmseg's ``correct_unfold_*_order`` on the ``downsample`` weights."""
    out = dict(state)
    for key, value in state.items():
        if key.endswith(".downsample.reduction.weight"):
            channels_out, channels_in = value.shape
            out[key] = value.reshape(channels_out, channels_in // 4, 4).transpose(1, 2)[:, [0, 2, 1, 3]].reshape(
                channels_out, channels_in)
        elif ".downsample.norm." in key:
            out[key] = value.reshape(-1, 4).transpose(0, 1)[[0, 2, 1, 3]].reshape(-1)
    return out


register_layout(WeightLayout(
    name="mmseg_swin_imagenet",
    source="mmsegmentation's ImageNet Swin (pretrain/swin/swin_tiny_patch4_window7_224_20220317-1cdeb081.pth and its "
           "S/B siblings: the authors' files through swin2mmseg) for the core Swin backbone; the classifier's final "
           "norm is dropped, the output norms norm0..3 keep their initialisation",
    rules=SWIN_RULES,
    drop=SWIN_DERIVED + [r"norm\.", r"head\."],
    prepare=strip_prefix(),
    finish=unfold_to_neighbour_order,
))


def reverse_jpu_concat(state: Dict[str, Any]) -> Dict[str, Any]:
    """Reorder the channel blocks of converted ``neck.branches.*`` weights to the deepest-first concat."""
    num_inputs = len({k.split(".")[2] for k in state if k.startswith("neck.convs.")})
    out = dict(state)
    for key, value in state.items():
        if not key.startswith("neck.branches.") or value.ndim == 0:
            continue
        dim = 1 if ".conv_pw." in key else 0 if (".conv_dw." in key or ".bn_dw." in key) else None
        if dim is not None:
            out[key] = torch.cat(torch.chunk(value, num_inputs, dim=dim)[::-1], dim=dim)
    return out


register_layout(WeightLayout(
    name="mmseg_jpu",
    source="the neck.* keys of mmsegmentation's FastFCN checkpoints (JPU: conv_layers, dilation_layers), reused by "
           "the projects' FastFCN converters",
    rules=conv_module(r"neck\.conv_layers\.(\d+)\.0", r"neck.convs.\1")
    + separable_conv_module(r"neck\.dilation_layers\.(\d+)\.0", r"neck.branches.\1"),
    finish=reverse_jpu_concat,
))
