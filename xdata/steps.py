"""Every step xdata ships, under one import path, and steps rebuilt from a manifest.

``from xdata.steps import Normalize, CodeSwitch, BackTranslate, ...`` reaches every step. Each
step class registers itself as ``name.vVERSION`` (:data:`REGISTRY`); :func:`steps_from_manifest`
uses that registry to rebuild the steps a dataset version was made with, from the manifest's
step list, and checks each rebuilt step's signature against the recorded one (a changed
resource, e.g. an edited lexicon, is an error naming the step). This is how a version is
replayed (``xdata rebuild``).
"""

from __future__ import annotations

from typing import Any

from .align.step import Align, AlignmentFilter
from .backtranslate.filters import CopyFilter, RepetitionFilter, RoundTripFilter
from .backtranslate.step import BackTranslate, TagSynthetic
from .codeswitch.step import CodeSwitch
from .errors import ConfigError
from .filters import Dedup, LengthRatio
from .lid import LidFilter, LidTag
from .normalize.step import Normalize
from .pipeline.step import REGISTRY, Identity, Step, params_from_json
from .project.step import Project
from .teacher.step import Teach
from .tokenize.step import SpmEncode, Tokenize


def step_class(name: str, version: int) -> type[Step]:
    """The class registered as ``name.vVERSION``."""
    key = f"{name}.v{version}"
    if key not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError(f"no step {key} in this xdata (known: {known}); a newer xdata wrote it, or a recipe "
                          "defined the step itself (import that module first)")
    return REGISTRY[key]


def step_from_description(desc: dict[str, Any]) -> Step:
    """Rebuild one step from its manifest entry (name, version, params, signature)."""
    cls = step_class(desc["name"], int(desc["version"]))
    try:
        params = params_from_json(cls.Params, desc.get("params") or {})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"step {desc['name']}@{desc['version']}: the manifest's parameters do not fit ({e})") from None
    step = cls(params)
    want = desc.get("signature")
    if want and step.signature() != want:
        raise ConfigError(f"step {desc['name']}@{desc['version']} rebuilt with signature {step.signature()}, but the "
                          f"manifest records {want}: one of its resources changed ({', '.join(step.resources())})")
    return step


def steps_from_manifest(manifest: dict[str, Any]) -> list[Step]:
    """The steps of a dataset version, rebuilt and checked (see the module doc)."""
    return [step_from_description(d) for d in manifest.get("steps", [])]


__all__ = ["Align", "AlignmentFilter", "BackTranslate", "CodeSwitch", "CopyFilter", "Dedup", "Identity", "LengthRatio",
           "LidFilter", "LidTag", "Normalize", "Project", "RepetitionFilter", "RoundTripFilter", "SpmEncode", "TagSynthetic",
           "Teach", "Tokenize", "REGISTRY", "step_class", "step_from_description", "steps_from_manifest"]
