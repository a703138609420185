"""The published layouts of SegFormer weights, one module per source; importing registers them: transformers'
(``hf_segformer``, ``hf_mit``), mmsegmentation 1.x's (``mmseg_segformer``, ``mmseg_mit``), the authors'
(``nvlabs_segformer``, ``nvlabs_mit``) and smp's (``smp_segformer``). Each trained model's layout reuses its source's
ImageNet MiT layout for the encoder, except smp's, whose encoder is the authors' MiT under ``encoder.``."""
from . import hf, mmseg, nvlabs, smp  # noqa: F401 (registers)
