"""MODEL.ENCNET: the keys EncNet adds to the config tree."""
from seg_engine.config import CfgNode, register_config, register_renamed_value
from seg_engine.modeling.necks import register_jpu_renames


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
    # Dropout before the classifiers (main and auxiliary): False is nn.Dropout (PyTorch-Encoding),
    # True is nn.Dropout2d, whole channels (FastFCN, mmsegmentation).
    cfg.MODEL.ENCNET.DROPOUT_2D = False
    # Kernel of the head's first conv: 0 is the authors' choice (1x1 on a neck's output as FastFCN on its JPU, else
    # 3x3); 3 with the JPU is mmsegmentation's fastfcn_r50-d32_jpu_enc (its EncHead keeps the 3x3).
    cfg.MODEL.ENCNET.BOTTLENECK_KERNEL = 0


_JPU_KEY = "MODEL.ENCNET.USE_JPU"


def _encnet_head(file):
    """An EncNet config of earlier versions (it has MODEL.ENCNET.USE_JPU, which every one had) did not name the
    EncHead: EncNet built it whatever MODEL.HEAD.NAME said."""
    if _JPU_KEY not in file:
        return None
    return {"MODEL.META_ARCHITECTURE": "EncNet", "MODEL.HEAD.NAME": "EncHead"}


register_jpu_renames("MODEL.ENCNET")
register_renamed_value("MODEL.META_ARCHITECTURE", "EncNet", _encnet_head, "EncNet's head is MODEL.HEAD.NAME EncHead")
