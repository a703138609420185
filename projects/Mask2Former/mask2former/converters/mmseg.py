"""mmsegmentation 1.2.2's Mask2Former checkpoints (``decode_head`` = mmdet 3.3.0's Mask2FormerHead) to
Mask2Former, for the ``*_mmseg.yaml`` ResNet recipes (mmseg's ResNet keeps torchvision's names).

Keys: ``decode_head.pixel_decoder.{input_convs.i.{conv,gn}, encoder.layers.i.{self_attn, ffn.layers.{0.0,1},
norms.{0,1}}, level_encoding, lateral_convs.i.{conv,gn}, output_convs.i.{conv,gn}, mask_feature}`` go to
``neck.*``; ``decode_head.transformer_decoder.layers.i.{cross_attn.attn, self_attn.attn, ffn, norms.{0,1,2}}``
(norms after cross-attention, self-attention, feed-forward), ``post_norm``, ``query_embed``, ``query_feat``,
``level_embed``, ``cls_embed`` and ``mask_embed.{0,2,4}`` go to ``decode_head.*``. mmdet orders the
lateral/output convs deepest first and this model shallowest first: the same with the one FPN level of
every recipe (res2).
"""
from __future__ import annotations

from seg_engine.checkpoint import WeightLayout, register_layout

PIXEL = r"^decode_head\.pixel_decoder\."
DECODER = r"^decode_head\.transformer_decoder\."
RULES = [
    (r"^backbone\.", "backbone."),
    (PIXEL + r"input_convs\.(\d+)\.conv\.", r"neck.input_proj.\1.0."),
    (PIXEL + r"input_convs\.(\d+)\.gn\.", r"neck.input_proj.\1.1."),
    (PIXEL + r"encoder\.layers\.(\d+)\.self_attn\.", r"neck.encoder.\1.self_attn."),
    (PIXEL + r"encoder\.layers\.(\d+)\.ffn\.layers\.0\.0\.", r"neck.encoder.\1.linear1."),
    (PIXEL + r"encoder\.layers\.(\d+)\.ffn\.layers\.1\.", r"neck.encoder.\1.linear2."),
    (PIXEL + r"encoder\.layers\.(\d+)\.norms\.0\.", r"neck.encoder.\1.norm1."),
    (PIXEL + r"encoder\.layers\.(\d+)\.norms\.1\.", r"neck.encoder.\1.norm2."),
    (PIXEL + r"level_encoding\.weight$", "neck.level_embed"),
    (PIXEL + r"lateral_convs\.(\d+)\.conv\.", r"neck.lateral_convs.\1.0."),
    (PIXEL + r"lateral_convs\.(\d+)\.gn\.", r"neck.lateral_convs.\1.1."),
    (PIXEL + r"output_convs\.(\d+)\.conv\.", r"neck.output_convs.\1.0."),
    (PIXEL + r"output_convs\.(\d+)\.gn\.", r"neck.output_convs.\1.1."),
    (PIXEL + r"mask_feature\.", "neck.mask_features."),
    (DECODER + r"layers\.(\d+)\.cross_attn\.attn\.", r"decode_head.layers.\1.cross_attn."),
    (DECODER + r"layers\.(\d+)\.self_attn\.attn\.", r"decode_head.layers.\1.self_attn."),
    (DECODER + r"layers\.(\d+)\.ffn\.layers\.0\.0\.", r"decode_head.layers.\1.linear1."),
    (DECODER + r"layers\.(\d+)\.ffn\.layers\.1\.", r"decode_head.layers.\1.linear2."),
    (DECODER + r"layers\.(\d+)\.norms\.0\.", r"decode_head.layers.\1.cross_attn_norm."),
    (DECODER + r"layers\.(\d+)\.norms\.1\.", r"decode_head.layers.\1.self_attn_norm."),
    (DECODER + r"layers\.(\d+)\.norms\.2\.", r"decode_head.layers.\1.ffn_norm."),
    (DECODER + r"post_norm\.", "decode_head.decoder_norm."),
    (r"^decode_head\.(query_embed|query_feat|level_embed)\.", r"decode_head.\1."),
    (r"^decode_head\.cls_embed\.", "decode_head.class_embed."),
    (r"^decode_head\.mask_embed\.0\.", "decode_head.mask_embed.layers.0."),
    (r"^decode_head\.mask_embed\.2\.", "decode_head.mask_embed.layers.1."),
    (r"^decode_head\.mask_embed\.4\.", "decode_head.mask_embed.layers.2."),
]
DROP = [r".*\.num_batches_tracked$"]


register_layout(WeightLayout(
    name="mmseg_mask2former",
    source="mmsegmentation 1.2.2's trained Mask2Former with a ResNet (mask2former_r50_8xb2-160k_ade20k-512x512, ...; "
           "mmdet 3.3.0's Mask2FormerHead): every key renamed, BN counters dropped (FrozenBN here)",
    rules=RULES,
    drop=DROP,
    recipe="seg_engine://Mask2Former/ade20k/mask2former_r50_512x512_160k_ade20k_mmseg.yaml",
    key_table="projects/Mask2Former/tests/data/mmseg_mask2former_r50_keys.txt",
    examples={"decode_head.layers.4.cross_attn_norm.weight": "decode_head.transformer_decoder.layers.4.norms.0.weight",
              "decode_head.layers.4.self_attn_norm.weight": "decode_head.transformer_decoder.layers.4.norms.1.weight",
              "decode_head.layers.4.ffn_norm.weight": "decode_head.transformer_decoder.layers.4.norms.2.weight",
              "decode_head.layers.4.cross_attn.in_proj_weight":
                  "decode_head.transformer_decoder.layers.4.cross_attn.attn.in_proj_weight",
              "decode_head.mask_embed.layers.2.bias": "decode_head.mask_embed.4.bias",
              "neck.input_proj.0.1.weight": "decode_head.pixel_decoder.input_convs.0.gn.weight",
              "neck.level_embed": "decode_head.pixel_decoder.level_encoding.weight",
              "backbone.layer2.3.bn2.running_var": "backbone.layer2.3.bn2.running_var"},
))
