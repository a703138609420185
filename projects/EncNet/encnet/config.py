"""MODEL.ENCNET: the keys EncNet adds to the config tree."""
from seg_engine.config import CfgNode, register_config, register_renamed_key, register_renamed_value
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
    # Kernel of the head's first conv: 3 (PyTorch-Encoding; mmsegmentation's fastfcn_r50-d32_jpu_enc keeps it on
    # the JPU output) or 1 (FastFCN on its JPU output).
    cfg.MODEL.ENCNET.BOTTLENECK_KERNEL = 3


_JPU_KEY, _KERNEL_KEY = "MODEL.ENCNET.USE_JPU", "MODEL.ENCNET.BOTTLENECK_KERNEL"


def _automatic_kernel(file):
    """BOTTLENECK_KERNEL 0 was "automatic": 1x1 on the JPU (FastFCN), else 3x3."""
    return {_KERNEL_KEY: 1 if file.get(_JPU_KEY) else 3}


def _use_jpu(use, file):
    """MODEL.ENCNET.USE_JPU: the JPU neck, and the 1x1 first conv that the automatic kernel gave with it."""
    out = {"MODEL.NECK.NAME": "JPU" if use else ""}
    if use and file.get(_KERNEL_KEY, 0) == 0:
        out[_KERNEL_KEY] = 1
    return out


def _encnet_head(file):
    """An EncNet config of earlier versions (it has MODEL.ENCNET.USE_JPU, which every one had) did not name the
    EncHead: EncNet built it whatever MODEL.HEAD.NAME said."""
    if _JPU_KEY not in file:
        return None
    return {"MODEL.META_ARCHITECTURE": "EncNet", "MODEL.HEAD.NAME": "EncHead"}


register_jpu_renames("MODEL.ENCNET")
register_renamed_key(_JPU_KEY, _use_jpu, "the JPU is a neck of its own: MODEL.NECK.NAME JPU, configured by MODEL.JPU")
register_renamed_value("MODEL.META_ARCHITECTURE", "EncNet", _encnet_head, "EncNet's head is MODEL.HEAD.NAME EncHead")
register_renamed_value(_KERNEL_KEY, 0, _automatic_kernel, "the kernel is 1 or 3")
