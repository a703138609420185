"""XuJiacong/PIDNet's checkpoints (``PIDNet_{S,M,L}_Cityscapes_{val,test}.pt``: the training FullModel's state
dict, ``model.*`` plus the loss's class weights) to the PIDNet recipes with MODEL.PIDNET.STEM_BIAS True.

Their modules: ``conv1`` (the stem's two convs), ``layer1``/``layer2`` (stem), ``layer3..5`` (I branch),
``layer3_..5_`` (P), ``layer3_d..5_d`` (D), ``compression3/4``, ``diff3/4``, ``pag3/4`` (``f_x`` reads P,
``f_y`` I), ``spp.scale0..4`` / ``scale_process`` or ``process1..4``, ``dfm``, and the heads ``final_layer``,
``seghead_p``, ``seghead_d`` (``bn1``, ``conv1``, ``bn2``, ``conv2``).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WeightLayout, register_layout


def _block_rules(theirs: str, ours: str):
    return [(rf"{theirs}(\.(?:\d+\.)?)conv([123])\.", rf"{ours}\1conv\2.0."),
            (rf"{theirs}(\.(?:\d+\.)?)bn([123])\.", rf"{ours}\1conv\2.1."),
            (rf"{theirs}(\.(?:\d+\.)?)downsample\.", rf"{ours}\1downsample.")]


RULES = [(r"conv1\.0\.", "backbone.stem.0.0."), (r"conv1\.1\.", "backbone.stem.0.1."),
         (r"conv1\.3\.", "backbone.stem.1.0."), (r"conv1\.4\.", "backbone.stem.1.1.")]
for theirs, ours in (("layer1", "backbone.stem.2"), ("layer2", "backbone.stem.4"),
                     ("layer3_d", "backbone.d_branch_layers.0"), ("layer4_d", "backbone.d_branch_layers.1"),
                     ("layer5_d", "backbone.d_branch_layers.2"), ("layer3_", "backbone.p_branch_layers.0"),
                     ("layer4_", "backbone.p_branch_layers.1"), ("layer5_", "backbone.p_branch_layers.2"),
                     ("layer3", "backbone.i_branch_layers.0"), ("layer4", "backbone.i_branch_layers.1"),
                     ("layer5", "backbone.i_branch_layers.2")):
    RULES += _block_rules(theirs, ours)
for stage, ours in (("3", "1"), ("4", "2")):  # their stages 3, 4 are the fusions 1, 2 here
    RULES += [(rf"compression{stage}\.", f"backbone.compression_{ours}."), (rf"diff{stage}\.", f"backbone.diff_{ours}."),
              (rf"pag{stage}\.f_x\.", f"backbone.pag_{ours}.f_p."), (rf"pag{stage}\.f_y\.", f"backbone.pag_{ours}.f_i.")]
RULES += [
    (r"spp\.scale0\.([02])\.", r"backbone.spp.scales.0.\1."),
    (r"spp\.scale([1-4])\.1\.", r"backbone.spp.scales.\1.1.0."),
    (r"spp\.scale([1-4])\.3\.", r"backbone.spp.scales.\1.1.2."),
    (r"spp\.scale_process\.", "backbone.spp.processes."),
    (r"spp\.process([1-4])\.", r"backbone.spp.processes.<\1>."),
    (r"spp\.(compression|shortcut)\.", r"backbone.spp.\1."),
    (r"dfm\.conv_p\.", "backbone.dfm.f_p."),
    (r"dfm\.conv_i\.", "backbone.dfm.f_i."),
    (r"dfm\.conv\.", "backbone.dfm.conv."),
]
for theirs, ours in (("final_layer", "decode_head"), ("seghead_p", "aux_head"), ("seghead_d", "aux_head2")):
    RULES += [(rf"{theirs}\.bn1\.", f"{ours}.conv.0."), (rf"{theirs}\.conv1\.", f"{ours}.conv.2."),
              (rf"{theirs}\.bn2\.", f"{ours}.norm."), (rf"{theirs}\.conv2\.", f"{ours}.classifier.")]
LOSSES = [r"(sem_loss|bd_loss)\."]


def _without_model_prefix(state: Dict[str, Any]) -> Dict[str, Any]:
    return {k[len("model."):] if k.startswith("model.") else k: v for k, v in state.items()}


register_layout(WeightLayout(
    name="xujiacong_pidnet",
    source="XuJiacong/PIDNet's PIDNet_{S,M,L}_Cityscapes_{val,test}.pt (the training FullModel's state dict, keys "
           "with or without model.), for MODEL.PIDNET.STEM_BIAS True; the loss's class weights dropped",
    rules=RULES,
    prepare=_without_model_prefix,
    drop=LOSSES,
    recipe="seg_engine://RealTime/cityscapes/pidnet-s_cityscapes_xujiacong.yaml",
    key_table="projects/RealTime/tests/data/xujiacong_pidnet_keys.txt",
    examples={"backbone.stem.0.0.bias": "model.conv1.0.bias",
              "backbone.stem.1.1.weight": "model.conv1.4.weight",
              "backbone.i_branch_layers.2.1.conv3.1.running_var": "model.layer5.1.bn3.running_var",
              "backbone.d_branch_layers.0.downsample.1.weight": "model.layer3_d.downsample.1.weight",
              "backbone.pag_2.f_i.0.weight": "model.pag4.f_y.0.weight",
              "backbone.spp.scales.3.1.2.weight": "model.spp.scale3.3.weight",
              "backbone.spp.processes.0.weight": "model.spp.scale_process.0.weight",
              "backbone.dfm.f_p.1.bias": "model.dfm.conv_p.1.bias",
              "decode_head.conv.0.weight": "model.final_layer.bn1.weight",
              "aux_head2.classifier.bias": "model.seghead_d.conv2.bias"},
))
