"""MODEL.ENCNET: the keys EncNet adds to the config tree."""
from seg_engine.config import CfgNode, register_config
from seg_engine.modeling.necks import add_jpu_config


@register_config
def add_encnet_config(cfg: CfgNode) -> None:
    """Defaults are PyTorch-Encoding's EncNet on ADE20K (no lateral connections, no JPU)."""
    cfg.MODEL.ENCNET = CfgNode()
    # Codewords K of the Encoding layer (the authors use 32).
    cfg.MODEL.ENCNET.NUM_CODES = 32
    # The Semantic Encoding loss: a linear classifier on the encoded vector predicts which classes
    # each image contains (binary cross-entropy), weighted by SE_LOSS_WEIGHT.
    cfg.MODEL.ENCNET.SE_LOSS = True
    cfg.MODEL.ENCNET.SE_LOSS_WEIGHT = 0.2
    # Fuse 1x1 projections of res3 and res4 with the head's first conv (the authors' lateral=True,
    # used for PASCAL Context and VOC). Needs res3 and res4 at the head's resolution (OS 8, no JPU).
    cfg.MODEL.ENCNET.LATERAL = False
    # FastFCN's JPU neck (USE_JPU, JPU_WIDTH, JPU_DILATIONS); with it the head's first conv becomes 1x1.
    add_jpu_config(cfg.MODEL.ENCNET)
    # Dropout before the classifiers (main and auxiliary): False is nn.Dropout (PyTorch-Encoding),
    # True is nn.Dropout2d, whole channels (FastFCN, mmsegmentation).
    cfg.MODEL.ENCNET.DROPOUT_2D = False
    # Kernel of the head's first conv: 0 is the authors' choice (1x1 on the JPU output as FastFCN, else
    # 3x3); 3 with the JPU is mmsegmentation's fastfcn_r50-d32_jpu_enc (its EncHead keeps the 3x3).
    cfg.MODEL.ENCNET.BOTTLENECK_KERNEL = 0
