"""EncNet and EncNet+JPU: importing this package registers the ``EncNet`` meta-architecture (the SE-loss), the
``EncHead`` head, the MODEL.ENCNET config keys and the weight converters ``pytorch_encoding_encnet``, ``fastfcn_encnet``, ``mmseg_encnet`` and ``mmseg_fastfcn``."""
from . import converters, interop, parity
from .config import add_encnet_config
from .enc_head import EncHead
from .enc_module import EncModule
from .encnet import EncNet
from .encoding_layer import Encoding, aggregate, scaled_l2
from .se_loss import class_presence, se_loss

__all__ = [
    "EncHead",
    "EncModule",
    "EncNet",
    "Encoding",
    "add_encnet_config",
    "aggregate",
    "class_presence",
    "converters",
    "scaled_l2",
    "se_loss",
]
