"""The step contract: a pure function of a batch (plus a seed and loaded resources).

A step returns the rows it keeps or makes and the rows it rejects, each with a reason.
The base class owns the loop (provenance, counting, timing); a step fills in one small
method: :meth:`Step.process`, or :meth:`MapStep.map`, or :meth:`FilterStep.score` and
:meth:`FilterStep.accept` (scores stay as columns, so a threshold can change without
recomputing them).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Iterator

import polars as pl

from ..errors import ConfigError
from ..hashing import canonical_json, digest_value, row_ids
from .rng import row_rng, row_uniforms

REGISTRY: dict[str, type["Step"]] = {}


@dataclass(frozen=True)
class NoParams:
    """Parameters of a step that takes none."""


@dataclass
class StepResult:
    """What a step returns for one batch: kept/made rows and rejected rows (with ``reason``)."""

    rows: pl.DataFrame
    rejects: pl.DataFrame | None = None


@dataclass
class Context:
    """What a step may know besides its batch: the seed and its own signature."""

    seed: int
    step: str
    signature: str

    def rng(self, row_id: str):  # noqa: ANN201 - numpy Generator
        """The row's own random generator for this step."""
        return row_rng(self.seed, self.step, row_id)

    def uniforms(self, ids: Iterable[str], n: int = 1):  # noqa: ANN201 - ndarray
        return row_uniforms(self.seed, self.step, list(ids), n)

    def child_ids(self, parent_ids: list[str], index: list[int], *content: list[str]) -> list[str]:
        """Ids for rows a step makes from parents (the k-th child of a parent)."""
        return row_ids(self.signature, parent_ids, [str(k) for k in index], *content)


class Step:
    """Base class of all steps.

    Class attributes declare the contract: ``name`` (registry name) and ``version`` (bump it
    when behaviour changes), ``kinds`` (record kinds accepted), ``reads`` (columns needed),
    ``writes`` (columns added), ``scope`` (``"row"``: a pure function of each batch, run in
    parallel; ``"global"``: keeps state across batches, run in order in the driver) and
    ``Params`` (a dataclass of typed parameters).
    """

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    kinds: ClassVar[tuple[str, ...]] = ("text", "pair", "tagged")
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    scope: ClassVar[str] = "row"
    expands: ClassVar[bool] = False  # True if one input row can make several output rows
    Params: ClassVar[type] = NoParams
    #: Parameters that do not change the output (paths whose content is in ``resources()``,
    #: thread counts, batch budgets, cache locations): left out of the signature.
    runtime_params: ClassVar[tuple[str, ...]] = ()
    #: Parameters naming files or directories the step reads (lexicons, models): what a build
    #: system tracks as the step's dependencies (see :meth:`resource_paths`, ``xdata dvc stage``).
    resource_params: ClassVar[tuple[str, ...]] = ()
    #: True if the step's work runs in native code that releases the GIL (polars, Arrow) and
    #: the step keeps no per-process state: the local executor may then run blocks as threads
    #: of one process (no worker start-up, no copying of blocks between processes).
    native: ClassVar[bool] = False
    #: True if the step must see each input block whole, whatever ``--batch-size``: a model whose
    #: floating-point results depend on what shares its batches (padding, shapes) then sees the
    #: same batches for the same block, so the output bytes do not depend on the batch size.
    block_batches: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.name:
            REGISTRY[f"{cls.name}.v{cls.version}"] = cls

    def __init__(self, params: Any = None, **kwargs: Any) -> None:
        if params is not None and kwargs:
            raise ConfigError(f"step {self.name!r}: pass parameters either as a Params object or as keywords")
        if params is None:
            params = build_params(self.Params, kwargs, f"step {self.name!r}")
        elif not isinstance(params, self.Params):
            raise ConfigError(f"step {self.name!r} expects {self.Params.__name__}, got {type(params).__name__}")
        self.params = params
        self._check_types()
        self._ready = False

    def _check_types(self) -> None:
        """Reject parameter values of the wrong basic type before any data moves (nested groups too)."""
        for name, value, tname in _leaf_fields(self.params):
            basic = {"int": int, "float": (int, float), "str": str, "bool": bool}
            if tname in basic and value is not None and not isinstance(value, basic[tname]):  # type: ignore[arg-type]
                raise ConfigError(f"step {self.name!r}: parameter {name!r} must be {tname}, got {value!r}")
            if tname in ("int", "float") and isinstance(value, bool):
                raise ConfigError(f"step {self.name!r}: parameter {name!r} must be {tname}, got {value!r}")

    # -- identity -------------------------------------------------------------------------
    def param_dict(self) -> dict[str, Any]:
        """Parameters as a JSON-able dict; a nested group of parameters stays a nested dict."""
        return dataclasses.asdict(self.params)

    def non_default_params(self) -> dict[str, Any]:
        """The parameters that differ from their defaults, flat: a nested group's fields count as
        the step's own (so grouping parameters into a dataclass does not change the signature)."""
        return {name: value for name, value, _ in _leaf_fields(self.params, non_default=True)}

    def resource_paths(self) -> list[str]:
        """Files and directories the step reads, from its :attr:`resource_params` (those that exist
        on disk: a hub model name is not a path)."""
        import os

        out: list[str] = []
        for name, value, _ in _leaf_fields(self.params):
            if name not in self.resource_params:
                continue
            for v in (value if isinstance(value, (tuple, list)) else (value,)):
                if isinstance(v, str) and v and os.path.exists(v) and v not in out:
                    out.append(v)
        return out

    def warnings(self, accounting: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
        """What the run should tell the user about this step (its accounting entry and the
        finished manifest at hand): recorded in the manifest and printed in the run summary."""
        return []

    def languages(self) -> list[str]:
        """Languages this step brings into rows beyond their ``lang`` columns (for the card)."""
        return []

    def resources(self) -> dict[str, str]:
        """Named resources (models, lexicons) this step uses, each with its content digest."""
        return {}

    def signature(self) -> str:
        """``name@version:digest`` of the non-default parameters and the resource digests.

        Computed once per step object (resource digests read whole files; parameters are frozen).
        """
        sig = self.__dict__.get("_signature")
        if sig is None:
            params = {k: v for k, v in self.non_default_params().items() if k not in self.runtime_params}
            d = digest_value({"params": params, "resources": self.resources()}, 10)
            sig = self.__dict__["_signature"] = f"{self.name}@{self.version}:{d}"
        return sig

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "signature": self.signature(),
            "params": self.param_dict(),
            "resources": self.resources(),
            "scope": self.scope,
        }

    # -- lifecycle -------------------------------------------------------------------------
    def setup(self) -> None:
        """Load models or lexicons. Called once per worker before the first batch."""

    def ensure_ready(self) -> None:
        if not self._ready:
            self.setup()
            self._ready = True

    def output_kind(self, kind: str) -> str:
        """The record kind this step emits for an input kind (most steps keep it)."""
        return kind

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult | pl.DataFrame:
        """Transform one batch. Override this (or use MapStep / FilterStep)."""
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        # Loaded resources stay behind: each worker loads its own in setup().
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_r_")}
        state["_ready"] = False
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.non_default_params().items())})"


class MapStep(Step):
    """A step that changes rows one for one (no rejects)."""

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        raise NotImplementedError

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        out = self.map(batch, ctx)
        if out.height != batch.height:
            raise RuntimeError(f"map step {self.name!r} changed the number of rows ({batch.height} -> {out.height})")
        return StepResult(out)


class FilterStep(Step):
    """Score rows (scores kept as columns), then accept or reject them with a reason."""

    def score(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        """Return ``batch`` with score columns added."""
        return batch

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        """A boolean keep mask and, for rejected rows, a reason string."""
        raise NotImplementedError

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        scored = self.score(batch, ctx)
        keep, reason = self.accept(scored)
        keep = keep.fill_null(False)
        rej = scored.filter(~keep).with_columns(reason.filter(~keep).alias("reason"))
        return StepResult(scored.filter(keep), rej)


def merge_meta(meta: pl.Series, key: str, values: list[Any]) -> pl.Series:
    """Add ``values[i]`` under ``key`` to each row's JSON ``meta`` object."""
    out = []
    for m, v in zip(meta.to_list(), values):
        d = json.loads(m) if m else {}
        if v is not None:
            d[key] = v
        out.append(canonical_json(d))
    return pl.Series("meta", out, pl.String)


@dataclass(frozen=True)
class _IdentityParams:
    pass


class Identity(MapStep):
    """Passes rows through unchanged (the baseline of the identity benchmark)."""

    name = "identity"
    Params = _IdentityParams
    native = True

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return batch


def _is_params(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _leaf_fields(params: Any, *, non_default: bool = False) -> Iterator[tuple[str, Any, str]]:
    """(name, value, type name) of every parameter, nested groups flattened into their fields."""
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if _is_params(value):
            yield from _leaf_fields(value, non_default=non_default)
            continue
        if non_default:
            if f.default is not dataclasses.MISSING and f.default == value:
                continue
            if f.default_factory is not dataclasses.MISSING and f.default_factory() == value:
                continue
        yield f.name, value, f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))


def _nested(cls: type) -> dict[str, type]:
    """Fields of a params class that are themselves parameter groups (dataclasses), by name."""
    import typing

    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)
            if isinstance(hints.get(f.name), type) and dataclasses.is_dataclass(hints[f.name])}


def build_params(cls: type, values: dict[str, Any], who: str) -> Any:
    """A params object from flat keywords: a keyword naming a field of a nested group goes to
    that group (``decode="beam"`` sets ``decoding.decode``), a group may also be given whole;
    unknown names are an error listing the valid ones."""
    nested = _nested(cls)
    own = {f.name for f in dataclasses.fields(cls)}
    group_fields = {g: {f.name for f in dataclasses.fields(t)} for g, t in nested.items()}
    kw: dict[str, Any] = {}
    grouped: dict[str, dict[str, Any]] = {g: {} for g in nested}
    unknown = []
    for k, v in values.items():
        if k in own:
            kw[k] = v
        else:
            g = next((g for g, names in group_fields.items() if k in names), None)
            if g is None:
                unknown.append(k)
            else:
                grouped[g][k] = v
    if unknown:
        valid = sorted((own - set(nested)) | {n for names in group_fields.values() for n in names})
        raise ConfigError(f"{who} has no parameter(s) {', '.join(map(repr, sorted(unknown)))}; "
                          f"valid parameters: {', '.join(valid) or '(none)'}")
    try:
        for g, t in nested.items():
            if grouped[g]:
                if g in kw:
                    raise ConfigError(f"{who}: give {g}= or its fields ({', '.join(sorted(grouped[g]))}), not both")
                kw[g] = t(**grouped[g])
        return cls(**kw)
    except TypeError as e:
        raise ConfigError(f"{who}: {e}") from e


def params_from_json(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a params object from :meth:`Step.param_dict` output (tuples and nested groups
    come back as they were; used to replay a manifest's steps)."""
    import typing

    hints = typing.get_type_hints(cls)
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        v, t = data[f.name], hints.get(f.name)
        if isinstance(t, type) and dataclasses.is_dataclass(t) and isinstance(v, dict):
            v = params_from_json(t, v)
        elif isinstance(v, list) and (typing.get_origin(t) is tuple or t is tuple):
            v = tuple(v)
        kw[f.name] = v
    return cls(**kw)


__all__ = ["Step", "MapStep", "FilterStep", "StepResult", "Context", "NoParams", "Identity", "merge_meta",
           "REGISTRY", "field", "build_params", "params_from_json"]
