"""Mask2Former in the core's registries of other toolboxes: the model --compare-mmseg pairs with mmsegmentation's
layout. mmsegmentation's Mask2FormerHead (mmdet's, with its own pixel decoder and transformer configs) has no
translator for the config importer: the importer's head vocabulary cannot express it."""
from seg_engine.interop import register_mmseg_model

register_mmseg_model("mmseg_mask2former", "MaskedAttentionHead", "MSDeformAttnPixelDecoder",
                     "mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py")
