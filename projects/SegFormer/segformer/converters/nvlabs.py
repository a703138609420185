"""The authors' (NVlabs/SegFormer) checkpoints: trained SegFormers and the ImageNet ``mit_b0..b5.pth``.

Their MiT: ``patch_embed<n>.{proj,norm}``, ``block<n>.<j>.{norm1,attn.{q,kv,proj,sr,norm},norm2,
mlp.{fc1,dwconv.dwconv,fc2}}`` and ``norm<n>`` for stages n = 1..4; the trained models put it under
``backbone.`` and add ``decode_head.linear_c<n>.proj``, ``linear_fuse.{conv,bn}`` and ``linear_pred``.
Their q / kv layers are ours, so every tensor loads as it is.
"""
from __future__ import annotations

from typing import List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import conv_module, prefix

NVLABS_ADE20K = "seg_engine://SegFormer/ade20k/segformer_mit-b0_512x512_160k_ade20k_nvlabs.yaml"


def mit_rules(theirs: str) -> List[Rule]:
    """The authors' MiT keys after ``theirs`` (a regex: ``backbone\\.``, ``encoder\\.`` in smp, "" for none) -> ours."""
    return [
        (rf"{theirs}patch_embed(\d)\.", r"backbone.stages.<\1>.patch_embed."),
        (rf"{theirs}block(\d)\.(\d+)\.mlp\.dwconv\.dwconv\.", r"backbone.stages.<\1>.blocks.\2.ffn.dwconv."),
        (rf"{theirs}block(\d)\.(\d+)\.mlp\.", r"backbone.stages.<\1>.blocks.\2.ffn."),
        (rf"{theirs}block(\d)\.(\d+)\.", r"backbone.stages.<\1>.blocks.\2."),
        (rf"{theirs}norm(\d)\.", r"backbone.stages.<\1>.norm."),
    ]


register_layout(WeightLayout(
    name="nvlabs_mit",
    source="the authors' ImageNet MiTs mit_b0.pth .. mit_b5.pth (NVlabs/SegFormer's README: Google Drive / OneDrive), "
           "keys at the top or under backbone.; the classifier head is dropped",
    rules=mit_rules(r"(?:backbone\.)?"),
    drop=[r"head\."],
    recipe=NVLABS_ADE20K,
))
# mmseg 0.13's BaseDecodeHead always builds ``conv_seg``; the authors' head never calls it (its classifier is
# ``linear_pred``), so their files carry an untrained 1x1 conv of 128 inputs, dropped here.
register_layout(WeightLayout(
    name="nvlabs_segformer",
    source="the authors' trained SegFormers (segformer.b0.512x512.ade.160k.pth ...) for the _nvlabs recipes "
           "(MODEL.SEGFORMER.HEAD_FORM nvlabs); the unused decode_head.conv_seg is dropped",
    rules=prefix(r"decode_head\.linear_c(\d)\.proj", r"decode_head.embeds.<\1>")
    + conv_module(r"decode_head\.linear_fuse", "decode_head.fuse")
    + prefix(r"decode_head\.linear_pred", "decode_head.classifier"),
    reuses=[("backbone.", "nvlabs_mit")],
    drop=[r"decode_head\.conv_seg\."],
    recipe=NVLABS_ADE20K,
    key_table="projects/SegFormer/tests/data/nvlabs_segformer_keys.txt",
    examples={"decode_head.embeds.3.weight": "decode_head.linear_c4.proj.weight",
              "decode_head.fuse.1.running_mean": "decode_head.linear_fuse.bn.running_mean",
              "decode_head.classifier.bias": "decode_head.linear_pred.bias",
              "backbone.stages.2.blocks.1.ffn.dwconv.weight": "backbone.block3.1.mlp.dwconv.dwconv.weight",
              "backbone.stages.3.norm.bias": "backbone.norm4.bias",
              "backbone.stages.0.patch_embed.proj.weight": "backbone.patch_embed1.proj.weight"},
))
