"""segmentation_models_pytorch's ``Segformer`` (0.4+) with its ``mit_b*`` encoder.

The encoder is the authors' MiT under ``encoder.``; the decoder's ``mlp_stage.<k>.linear`` embeds level
3 - k (smp lists the levels deepest first), ``fuse_stage`` is the 1x1 conv (0) and BN (1), and
``segmentation_head.0`` the classifier, whose x4 up-sampling is bilinear with align_corners=True.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import prefix, smp_segmentation_head

from .nvlabs import mit_rules

LEVELS = 4

register_layout(WeightLayout(
    name="smp_segformer",
    source="segmentation_models_pytorch's Segformer('mit_b<k>') (e.g. smp-hub/segformer-b0-512x512-ade-160k) for "
           "Base-SegFormer-smp.yaml: the authors' head (HEAD_FORM nvlabs) with MODEL.ALIGN_CORNERS True, no dropout",
    rules=mit_rules(r"encoder\.")
    + [rule for k in range(LEVELS) for rule in prefix(rf"decoder\.mlp_stage\.{k}\.linear", f"decode_head.embeds.{LEVELS - 1 - k}")]
    + prefix(r"decoder\.fuse_stage", "decode_head.fuse")
    + smp_segmentation_head("decode_head"),
    recipe="seg_engine://SegFormer/Base-SegFormer-smp.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 150),
    key_table="projects/SegFormer/tests/data/smp_segformer_keys.txt",
    examples={"decode_head.embeds.3.weight": "decoder.mlp_stage.0.linear.weight",
              "decode_head.embeds.0.bias": "decoder.mlp_stage.3.linear.bias",
              "decode_head.fuse.1.running_var": "decoder.fuse_stage.1.running_var",
              "decode_head.classifier.weight": "segmentation_head.0.weight",
              "backbone.stages.1.blocks.0.attn.kv.weight": "encoder.block2.0.attn.kv.weight"},
))
