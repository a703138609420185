"""ParityReference: how to build the reference model a converter is checked against, and where it comes from.

Each converter (a registered :class:`~seg_engine.checkpoint.WeightLayout`) has at least one entry here, registered
by whoever owns the layout (the core for its ImageNet layouts, a project from ``<package>/parity.py``): what the
reference is, what it needs (pip packages, or a public repository's checkout), how to build it with random weights,
how it saves its weights (the file layout the converter reads) and how it turns images into logits. The protocol
(:mod:`.protocol`) does the rest the same way for every converter. References are never part of this repository:
they come from the environment or from a checkout the user names (``tools/check_parity.py --reference-root``).
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import os
import subprocess
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from ..checkpoint import LAYOUTS, WEIGHT_CONVERTERS

Size = Tuple[int, int]
# Two sizes, one odd and neither a multiple of 32, so padding, cropping and resizing are all exercised.
DEFAULT_SIZES: Tuple[Size, ...] = ((97, 65), (128, 96))


class MissingReference(ImportError):
    """The reference a check needs is not installed or not found; the message says how to get it (one line)."""


@dataclasses.dataclass(frozen=True)
class Requirement:
    """What a reference needs: pip packages (``modules`` to import, ``install`` to get them) or a checkout of the
    public GitHub repository ``repository`` (``owner/name``), recognised by its file ``marker``."""

    modules: Sequence[str] = ()
    install: str = ""
    repository: str = ""
    marker: str = ""

    def how_to_get(self) -> str:
        """The command that gets the reference."""
        if self.repository:
            return f"git clone https://github.com/{self.repository}"
        return self.install

    def describe(self) -> str:
        """One line: the packages and their install command, or the repository and its clone command."""
        if self.repository:
            return f"checkout of {self.repository} ({self.how_to_get()}; then --reference-root DIR)"
        return f"{', '.join(self.modules)} ({self.install})"

    def resolve(self, root: Optional[str], entry: str) -> Optional[str]:
        """The checkout's folder (None for packages) after checking that the reference is there: ``root`` itself
        when it holds ``marker``, else ``root/<repository name>``. A :class:`MissingReference` says what to run."""
        if not self.repository:
            for module in self.modules:
                try:
                    importlib.import_module(module)
                except ImportError as e:
                    raise MissingReference(f"{entry} needs {module} ({e}): {self.install}") from e
            return None
        name = self.repository.split("/")[-1]
        if not root:
            raise MissingReference(f"{entry} needs a checkout of {self.repository}: {self.how_to_get()}, then "
                                   f"--reference-root {name}")
        for folder in (root, os.path.join(root, name)):
            if os.path.isfile(os.path.join(folder, self.marker)):
                return os.path.abspath(folder)
        raise MissingReference(f"{entry} needs a checkout of {self.repository}: --reference-root {root!r} holds no "
                               f"{self.marker} (nor does {os.path.join(root, name)!r}); get it with {self.how_to_get()}")

    def versions(self, folder: Optional[str]) -> Dict[str, str]:
        """The versions it ran with: each package's (of the distribution that provides the module), or the checkout's
        commit."""
        if folder:
            return {self.repository: git_commit(folder) or "unknown (not a git checkout)"}
        out = {}
        distributions = importlib.metadata.packages_distributions()
        for module in self.modules:
            for dist in distributions.get(module.split(".")[0], [module]):
                try:
                    out[dist] = importlib.metadata.version(dist)
                except importlib.metadata.PackageNotFoundError:
                    out[dist] = "unknown"
        return out


def git_commit(folder: str) -> str:
    """The commit checked out at ``folder`` ("" when it is not a git work tree)."""
    try:
        return subprocess.run(["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def plain_state_dict(model: nn.Module) -> Dict[str, Any]:
    """The file as ``torch.save(model.state_dict())`` writes it (torchvision's, smp's and most authors' layout)."""
    return model.state_dict()


def whole_image_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Our model's logits at the input size for raw RGB ``images`` (0..255): normalized with the recipe's
    MODEL.PIXEL_MEAN/STD, one whole-image pass (``predict_logits``), as an exported model computes them."""
    return model.predict_logits((images - model.pixel_mean) / model.pixel_std)


def decode_head_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Our side for a reference whose output stays at its head's stride (RefineNet's 1/4): the decode head's logits
    of the normalized images, before any resize."""
    return model.segment((images - model.pixel_mean) / model.pixel_std)["sem_seg"]


def backbone_output(feature: str) -> Callable[[nn.Module, torch.Tensor], torch.Tensor]:
    """Our side for a backbone's layout: the backbone's map ``feature`` (e.g. ``res5``) of the normalized images."""

    def run(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
        return model.backbone((images - model.pixel_mean) / model.pixel_std)[feature]

    run.__doc__ = f"our backbone's {feature}"
    return run


@dataclasses.dataclass(frozen=True)
class ParityReference:
    """One reference a converter is checked against.

    Args:
        name: the entry's name: the converter's, or ``<converter>/<variant>`` for a second variant (milesial's
            bilinear U-Net); for a model without a converter (SegNet), its own name.
        converter: the layout (``MODEL.WEIGHTS_FORMAT``) it checks ("" for a model without a converter).
        reference: one line naming the reference model as it is built (module, function, arguments).
        requires: what it needs and how to get it.
        build: ``fn(checkout folder or None) -> nn.Module``: the reference with its own random initialisation.
        logits: ``fn(reference, images) -> N x C x H x W`` for raw RGB images (0..255): its own preprocessing and
            forward, at the input size (or brought there the way its own code does; ``compared`` says how).
        checkpoint: ``fn(reference) -> dict``: the file as the reference saves its weights (the layout the converter
            reads: ``{"state_dict": {"module." + key: ...}}``, mmsegmentation's ``{"meta", "state_dict"}``, ...).
        ours: ``fn(our model, images) -> tensor`` compared with ``logits`` (default: whole-image logits).
        recipe, opts: our model: the layout's recipe and ``recipe_opts`` unless ``recipe`` is given; ``opts`` are
            KEY VALUE overrides added after them.
        scope: the keys of our model the file must give: a prefix or a tuple of prefixes ("" every key;
            ``"backbone."`` for a backbone's layout).
        sizes: input sizes (H, W) the check runs at unless the user names others (the reference's constraints).
        compared: one line for ``--list``: what is compared when it is not the logits at the input size.
        notes: anything a user should know (workarounds applied to import the reference on CPU).
        checked_against: for an entry that cannot run anywhere: what it is checked against instead.
    """

    name: str
    converter: str
    reference: str
    requires: Requirement = Requirement()
    build: Optional[Callable[[Optional[str]], nn.Module]] = None
    logits: Optional[Callable[[nn.Module, torch.Tensor], torch.Tensor]] = None
    checkpoint: Callable[[nn.Module], Dict[str, Any]] = plain_state_dict
    ours: Callable[[nn.Module, torch.Tensor], torch.Tensor] = whole_image_logits
    recipe: str = ""
    opts: Sequence[Any] = ()
    scope: Union[str, Tuple[str, ...]] = ""
    sizes: Sequence[Size] = DEFAULT_SIZES
    compared: str = "the logits at the input size"
    notes: str = ""
    checked_against: str = ""

    @property
    def runnable(self) -> bool:
        return self.build is not None and self.logits is not None

    def recipe_and_opts(self) -> Tuple[str, List[Any]]:
        """Our model's recipe and its overrides: the layout's, then this entry's."""
        layout = LAYOUTS.get(self.converter)
        recipe = self.recipe or (layout.recipe if layout else "")
        base = list(layout.recipe_opts) if layout and not self.recipe else []
        return recipe, base + list(self.opts)


# name -> ParityReference, every registered entry
PARITY_REFERENCES: Dict[str, ParityReference] = {}


def register_parity_reference(entry: ParityReference) -> ParityReference:
    """Register ``entry`` (its converter must be registered, its name new); returns it."""
    if entry.name in PARITY_REFERENCES:
        raise KeyError(f"a parity reference named {entry.name!r} is registered already")
    if entry.converter and entry.converter not in WEIGHT_CONVERTERS:
        raise KeyError(f"parity reference {entry.name!r} checks {entry.converter!r}, which is not a registered "
                       "converter (register its layout first)")
    if not entry.runnable and not entry.checked_against:
        raise ValueError(f"parity reference {entry.name!r} can neither run (build and logits) nor says what it is "
                         "checked against")
    PARITY_REFERENCES[entry.name] = entry
    return entry


def select_references(name: str) -> List[ParityReference]:
    """The entries a command-line name means: the entry of that name, else every entry of the converter ``name``.
    A KeyError names the known ones."""
    if name in PARITY_REFERENCES:
        return [PARITY_REFERENCES[name]]
    found = [e for _, e in sorted(PARITY_REFERENCES.items()) if e.converter == name]
    if not found:
        known = ", ".join(sorted(PARITY_REFERENCES)) or "none registered"
        raise KeyError(f"{name!r} is neither a converter with a parity reference nor an entry (known: {known}; "
                       "see --list)")
    return found
