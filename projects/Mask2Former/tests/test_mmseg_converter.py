"""mmseg_mask2former maps every key of mmsegmentation 1.2.2's Mask2Former R50 (mmdet 3.3.0's head, 150
classes) onto the mmseg recipe one to one (BN counters dropped: FrozenBN here).

data/mmseg_mask2former_r50_keys.txt lists the reference's state_dict, written once from the mmseg model built
from configs/mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py.
"""
import os

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, num_params, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))
R50_MMSEG = os.path.join(os.path.dirname(HERE), "configs", "ade20k", "mask2former_R50_512x512_160k_ade20k_mmseg.yaml")


def test_every_mmseg_key_maps_once_onto_a_key_of_the_same_shape():
    ref = read_key_table(os.path.join(HERE, "data", "mmseg_mask2former_r50_keys.txt"))
    assert len(ref) == 610
    model = build_on_meta(load_config(R50_MMSEG))
    assert num_params(model) + 53_120 == 44_041_367  # mmseg's count: its BN affines are parameters
    source = map_key_table(ref, "mmseg_mask2former", state_shapes(model), wrap=lambda s: {"state_dict": s, "meta": {}})
    counters = {k for k in ref if k.endswith("num_batches_tracked")}
    assert len(counters) == 53
    assert sorted(source.values()) == sorted(set(ref) - counters)


def test_norm_order_and_the_mask_mlp_land_where_they_belong():
    ref = read_key_table(os.path.join(HERE, "data", "mmseg_mask2former_r50_keys.txt"))
    c = convert_weights({k: k for k in ref}, "mmseg_mask2former")
    d = "decode_head.transformer_decoder.layers.4."
    assert c["decode_head.layers.4.cross_attn_norm.weight"] == d + "norms.0.weight"
    assert c["decode_head.layers.4.self_attn_norm.weight"] == d + "norms.1.weight"
    assert c["decode_head.layers.4.ffn_norm.weight"] == d + "norms.2.weight"
    assert c["decode_head.layers.4.cross_attn.in_proj_weight"] == d + "cross_attn.attn.in_proj_weight"
    assert c["decode_head.mask_embed.layers.2.bias"] == "decode_head.mask_embed.4.bias"
    assert c["neck.input_proj.0.1.weight"] == "decode_head.pixel_decoder.input_convs.0.gn.weight"
    assert c["neck.level_embed"] == "decode_head.pixel_decoder.level_encoding.weight"
    assert c["backbone.layer2.3.bn2.running_var"] == "backbone.layer2.3.bn2.running_var"
