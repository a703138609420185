"""The published layouts of EncNet weights, one module per source; importing registers them
(``pytorch_encoding_encnet``; ``fastfcn_encnet``; ``mmseg_encnet``, ``mmseg_fastfcn``). Their ImageNet backbones
are the core's ``pytorch_encoding_resnet`` and ``mmseg_resnet_v1c``."""
from . import fastfcn, mmseg, pytorch_encoding  # noqa: F401 (registers)
