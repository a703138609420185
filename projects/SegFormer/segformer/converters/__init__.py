"""Weight converters, one file per source layout: transformers (``hf_segformer``, ``hf_mit``),
mmsegmentation 1.x (``mmseg_segformer``, ``mmseg_mit``), the authors (``nvlabs_segformer``,
``nvlabs_mit``) and smp (``smp_segformer``)."""
from . import hf, mmseg, nvlabs, smp

__all__ = ["hf", "mmseg", "nvlabs", "smp"]
