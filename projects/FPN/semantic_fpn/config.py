"""Semantic FPN adds no config keys: the pyramid is MODEL.FPN (the core's neck), the head is MODEL.HEAD. This
module maps what older configs wrote."""
from seg_engine.config import register_renamed_key, register_renamed_value

LEVELS = ["p2", "p3", "p4", "p5"]


def _semantic_fpn(file):
    """SemanticFPN was EncoderDecoder with the FPN neck whose head read MODEL.SEM_SEG_FPN.IN_FEATURES."""
    return {"MODEL.META_ARCHITECTURE": "EncoderDecoder", "MODEL.NECK.NAME": "FPN",
            "MODEL.HEAD.IN_FEATURES": list(file.get("MODEL.SEM_SEG_FPN.IN_FEATURES", LEVELS))}


register_renamed_value("MODEL.META_ARCHITECTURE", "SemanticFPN", _semantic_fpn,
                       "semantic FPN is EncoderDecoder with MODEL.NECK.NAME FPN and MODEL.HEAD.NAME SemSegFPNHead")
register_renamed_key("MODEL.SEM_SEG_FPN.IN_FEATURES", lambda levels, _: {"MODEL.HEAD.IN_FEATURES": list(levels)},
                     "the head reads MODEL.HEAD.IN_FEATURES")
