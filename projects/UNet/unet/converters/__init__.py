"""The published layouts of UNet, UNet++ and LinkNet weights, one module per source; importing registers them
(``milesial_unet``; ``mmseg_unet``; ``smp_unet``, ``smp_unetplusplus``, ``smp_linknet``)."""
from . import milesial, mmseg, smp  # noqa: F401 (registers)
