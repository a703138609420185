"""The published layouts of Mask2Former weights, one module per source and one layout per backbone; importing registers
them: ``d2_mask2former``, ``d2_mask2former_swin`` (d2.py, the authors' .pkl releases), ``hf_mask2former``,
``hf_mask2former_swin`` (hf.py, transformers') and ``mmseg_mask2former`` (mmseg.py)."""
from . import d2, hf, mmseg  # noqa: F401 (registers)
