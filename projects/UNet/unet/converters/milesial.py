"""milesial/Pytorch-UNet's checkpoints (``unet.UNet(n_channels, n_classes, bilinear)``).

Their keys: ``inc.double_conv.{0,1,3,4}``, ``down{k}.maxpool_conv.1.double_conv.*``, ``up{k}.up`` (the transposed
conv; none with ``bilinear=True``), ``up{k}.conv.double_conv.*`` and ``outc.conv``. DoubleConv is Sequential(conv, BN,
ReLU, conv, BN, ReLU): children 0/1 and 3/4 are ConvStack's ``0.0/0.1`` and ``1.0/1.1``. Their train.py also stores
``mask_values`` (the mask colours) in the state dict; it is dropped.
"""
from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import children, prefix

DOUBLE_CONV = {"0": "0.0", "1": "0.1", "3": "1.0", "4": "1.1"}

register_layout(WeightLayout(
    name="milesial_unet",
    source="milesial/Pytorch-UNet's checkpoints (their train.py's, or the Carvana release "
           "unet_carvana_scale{0.5,1.0}_epoch2.pth), for Base-UNet-milesial.yaml (bilinear=False) or "
           "Base-UNet-milesial-bilinear.yaml, MODEL.NUM_CLASSES as their n_classes",
    rules=children(r"inc\.double_conv", "backbone.stages.0", DOUBLE_CONV)
    + children(r"down(\d)\.maxpool_conv\.1\.double_conv", r"backbone.stages.\1", DOUBLE_CONV)
    + prefix(r"up(\d)\.up", r"decoder.blocks.<\1>.up.up")
    + children(r"up(\d)\.conv\.double_conv", r"decoder.blocks.<\1>.convs", DOUBLE_CONV)
    + prefix(r"outc\.conv", "decode_head.classifier"),
    drop=[r"mask_values$"],
    recipe="seg_engine://UNet/Base-UNet-milesial.yaml",
    recipe_opts=("MODEL.NUM_CLASSES", 1),
    key_table="projects/UNet/tests/data/milesial_unet_keys.txt",
    examples={"backbone.stages.4.1.1.running_var": "down4.maxpool_conv.1.double_conv.4.running_var",
              "decoder.blocks.0.up.up.weight": "up1.up.weight",
              "decoder.blocks.3.convs.0.0.weight": "up4.conv.double_conv.0.weight",
              "decode_head.classifier.bias": "outc.conv.bias"},
))
