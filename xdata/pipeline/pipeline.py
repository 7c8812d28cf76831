"""A pipeline: one source, a list of steps, validated before any data moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import PipelineError
from ..io.readers import Source
from ..records import CONTENT, PROVENANCE
from .step import Step


#: Hugging Face task categories by output record kind.
TASKS = {"pair": ["translation"], "tagged": ["token-classification"], "text": ["text-generation"]}


@dataclass
class Pipeline:
    """What a recipe builds: read ``source``, apply ``steps`` in order, write a dataset ``name``.

    ``license`` and ``description`` go into the dataset card and Croissant metadata;
    ``synthetic`` says whether rows are machine-made (back-translation, code-switching).
    """

    name: str
    source: Source  # or a Pipeline of the same recipe, read as the dataset it writes (xdata.recipe.Recipe)
    steps: list[Step] = field(default_factory=list)
    description: str = ""
    license: str = "other"
    synthetic: bool = False
    task_categories: list[str] | None = None  # default: from the output kind (see TASKS)
    extra_resources: dict[str, str] = field(default_factory=dict)

    def validate(self) -> str:
        """Check kinds and columns step by step; return the output kind.

        Raises :class:`PipelineError` naming the first step whose input kind or columns no
        earlier stage produces.
        """
        if not self.name or "/" in self.name:
            raise PipelineError(f"dataset name {self.name!r} must be non-empty and contain no '/'")
        src: Any = self.source
        if isinstance(src, Pipeline):  # a part of the same recipe: its output is the input
            kind = src.validate()
            cols = set(CONTENT[kind]) | set(PROVENANCE)
        else:
            kind = self.source.kind
            cols = set(self.source.columns()) | set(PROVENANCE)
        for i, step in enumerate(self.steps):
            if not isinstance(step, Step):
                raise PipelineError(f"pipeline item {i} is {type(step).__name__}, not a Step")
            if kind not in step.kinds:
                raise PipelineError(
                    f"step {i} ({step.name}) takes {', '.join(step.kinds)} records, "
                    f"but receives {kind} records from {'the source' if i == 0 else 'step ' + str(i - 1)}"
                )
            missing = [c for c in step.reads if c not in cols]
            if missing:
                raise PipelineError(
                    f"step {i} ({step.name}) reads column(s) {', '.join(missing)} that no earlier step "
                    f"produces; available: {', '.join(sorted(cols))}"
                )
            new_kind = step.output_kind(kind)
            if new_kind != kind:
                cols = (cols - set(CONTENT[kind])) | set(CONTENT[new_kind])
                kind = new_kind
            cols |= set(step.writes)
        return kind

    def tasks(self, kind: str) -> list[str]:
        """Task categories for the card: as the recipe declares, else what the output kind is for."""
        return list(self.task_categories) if self.task_categories else TASKS.get(kind, ["other"])

    def languages(self) -> list[str]:
        """Languages the steps bring into the rows (code-switched words, ...), for the card."""
        out: list[str] = []
        for s in self.steps:
            out += [x for x in s.languages() if x not in out]
        return out

    def dependencies(self) -> list[str]:
        """Every file the pipeline reads: its inputs and its steps' resources (lexicons, models)."""
        out: list[str] = []
        for p in [*self.source.paths(), *(x for s in self.steps for x in s.resource_paths())]:
            if p not in out:
                out.append(p)
        return out

    def describe(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self.steps]

    def resources(self) -> dict[str, str]:
        out = dict(self.extra_resources)
        for s in self.steps:
            for k, v in s.resources().items():
                out[f"{s.name}:{k}"] = v
        return out
