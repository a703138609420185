"""SegNet adds no config keys; this module maps what older configs wrote."""
from seg_engine.config import register_renamed_value

SEGNET_RENAMED = "SegNet is EncoderDecoder with the VGG backbone and MODEL.HEAD.NAME SegNetDecoder"
register_renamed_value("MODEL.META_ARCHITECTURE", "SegNet", {"MODEL.META_ARCHITECTURE": "EncoderDecoder"},
                       SEGNET_RENAMED)
