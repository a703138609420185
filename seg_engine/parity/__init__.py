"""Parity with the references: every converter checked against the model whose weights it converts.

:mod:`.reference` declares a reference (what it needs, how to build it, its file layout, its logits) and the registry
every converter's owner fills (the core here in :mod:`.core_references`, a project from ``<package>/parity.py``);
:mod:`.protocol` runs the check the same way for all; :mod:`.measure` is the one measure of logits parity, which
``--compare-mmseg`` and the export check use too; :mod:`.mmseg` builds mmsegmentation's models for both, and gives
an ``mmseg_*`` converter's entry as :mod:`.smp` gives an ``smp_*`` one. The command
is ``tools/check_parity.py`` (:mod:`.tool`).
"""
from .measure import LOGIT_TOLERANCE, MIN_ARGMAX_AGREEMENT, logits_difference, within
from .reference import (DEFAULT_SIZES, PARITY_REFERENCES, MissingReference, ParityReference, Requirement,
                        backbone_output, decode_head_logits, plain_state_dict, register_parity_reference, select_references,
                        whole_image_logits)
from .protocol import check_parity
from . import core_references  # noqa: F401,E402 (registers the core layouts' entries)

__all__ = ["DEFAULT_SIZES", "LOGIT_TOLERANCE", "MIN_ARGMAX_AGREEMENT", "PARITY_REFERENCES", "MissingReference",
           "ParityReference", "Requirement", "backbone_output", "check_parity", "decode_head_logits", "logits_difference",
           "plain_state_dict", "register_parity_reference", "select_references", "whole_image_logits", "within"]
