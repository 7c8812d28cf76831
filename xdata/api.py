"""The Python API: one function per verb, mirroring the command line, each returning the dataset
version it wrote (:class:`Version`), so notebooks and scripts do not shell out.

    import xdata
    v = xdata.backtranslate("mono.sw.txt", "out/bt", src_lang="en", tgt_lang="sw",
                            engine="lexicon", lexicon="lexicons/seed/en-sw.tsv")
    cs = xdata.codeswitch("pairs.tsv", "out/cs", lexicons=["lexicons/seed/en-sw.tsv"], ratio=0.3)
    train = xdata.mix([xdata.mix.Part(v.path, origin="bt"), xdata.mix.Part(cs.path, origin="cs")],
                      "out/train", dev=0.05, test=0.05, exports=("hf", "parallel"))
    xdata.report(train.path)

``xdata.backtranslate``, ``xdata.codeswitch``, ``xdata.project`` and ``xdata.mix`` are also the
modules of those transforms (``from xdata.mix import Part`` works): calling one runs the verb.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .pipeline.executors import DEFAULT_BATCH_SIZE


@dataclass(frozen=True)
class Version:
    """A dataset version on disk: where it is and what its manifest says."""

    path: Path
    name: str
    version: str
    rows: int
    rejected: int
    content_digest: str
    manifest: dict[str, Any] = field(repr=False, compare=False)
    exports: dict[str, Path] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, path: str | Path, manifest: dict[str, Any] | None = None) -> "Version":
        from .dataset import read_manifest

        m = manifest or read_manifest(path)
        return cls(Path(path), m["name"], m["version"], m["rows"], m.get("rejected_rows", 0), m["content_digest"], m)


def _run(pipe: Any, out: str | Path, **kw: Any) -> Version:
    from .pipeline import run as run_pipeline

    m = run_pipeline(pipe, out, **kw)
    return Version.of(out, m)


def run(recipe: str | Path, out: str | Path, *, seed: int = 0, workers: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE, executor: str = "local", options: dict[str, str] | None = None,
        overwrite: bool = False) -> Version | dict[str, Version]:
    """``xdata run``: a one-pipeline recipe gives its :class:`Version`; a multi-part recipe gives
    each part's version by name."""
    from .recipe import run_recipe

    m = run_recipe(recipe, out, executor=executor, seed=seed, batch_size=batch_size, workers=workers,
                   options=options, overwrite=overwrite, progress=False)
    if "plan" not in m:
        return Version.of(out, m)
    return {p["name"]: Version.of(Path(out) / p["dir"]) for p in m["plan"]["parts"]}


def backtranslate(inp: str | Path, out: str | Path, *, src_lang: str, tgt_lang: str, engine: str = "lexicon",
                  model: str | None = None, lexicon: str | Path | None = None, decode: str = "greedy", n: int = 1,
                  tag: str = "", seed: int = 0, workers: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                  overwrite: bool = False, **options: Any) -> Version:
    """``xdata backtranslate``: translate target-language text into synthetic source sentences.
    ``options`` are the verb's other options by their Python names (``beam_size``, ``max_ratio``,
    ``dedup``, ``lid``, ``cache`` ...)."""
    from .cli.backtranslate import BT_BLOCK_ROWS, backtranslate_pipeline

    filters = {k: options.pop(k) for k in list(options) if k in (
        "max_ratio", "max_copy", "max_repeat", "dedup", "lid", "min_lid_prob", "round_trip_engine",
        "round_trip_model", "round_trip_lexicon", "min_chrf", "cache")}
    pipe = backtranslate_pipeline(Path(inp), src_lang=src_lang, tgt_lang=tgt_lang, engine=engine, model=model,
                                  lexicon=str(lexicon) if lexicon else None, decode=decode, n=n, tag=tag,
                                  bt_options=options, **filters)
    return _run(pipe, out, seed=seed, workers=workers, batch_size=batch_size, overwrite=overwrite,
                block_rows=BT_BLOCK_ROWS, progress=False)


def codeswitch(inp: str | Path, out: str | Path, *, lexicons: Sequence[str | Path], ratio: float,
               fmt: str | None = None, lang: str | None = None, tgt_lang: str | None = None, field: str = "upos",
               on_error: str = "raise", seed: int = 0,
               workers: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE, overwrite: bool = False,
               **policy: Any) -> Version:
    """``xdata codeswitch``: replace covered words with lexicon translations (labels kept aligned).
    ``policy`` takes the verb's other options (``sentence_prob``, ``reverse``, ``choose`` ...)."""
    from .codeswitch.step import CodeSwitch
    from .io import open_source
    from .pipeline import Pipeline

    src = open_source(inp, fmt=fmt, lang=lang, tgt_lang=tgt_lang, field=field, on_error=on_error)  # type: ignore[arg-type]
    step = CodeSwitch(lexicons=tuple(str(p) for p in lexicons), ratio=ratio, **policy)
    pipe = Pipeline(f"{src.name}-codeswitch", src, [step], synthetic=True,
                    description=f"{src.name} code-switched with {', '.join(Path(p).name for p in lexicons)} "
                                f"(ratio {ratio}).")
    return _run(pipe, out, seed=seed, workers=workers, batch_size=batch_size, overwrite=overwrite, progress=False)


def project(src: str | Path, tgt: str | Path, out: str | Path, *, field: str, overwrite: bool = False,
            **options: Any) -> Any:
    """``xdata project``: project a CoNLL-U field from ``src`` onto the tokens of ``tgt``. Like the
    verb it writes a CoNLL-U file (``out``), not a dataset version: it returns the projection report
    (sentences, tokens labelled, how). Read the file as a dataset with ``ConlluSource``."""
    from .errors import ConfigError
    from .project import project_conllu

    if Path(out).exists() and not overwrite:
        raise ConfigError(f"{out} exists; pass overwrite=True to replace it")
    return project_conllu(src, tgt, out, field, **options)


def mix(parts: Sequence[Any], out: str | Path, *, name: str = "mix", temperature: float | None = None,
        dev: float = 0.0, test: float = 0.0, test_sets: Sequence[Any] = (), dev_sets: Sequence[Any] = (),
        exports: Sequence[str] = (), seed: int = 0, workers: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE, overwrite: bool = False, license: str = "other",
        description: str = "") -> Version:
    """``xdata mix``: parts (:class:`xdata.mix.Part`, or dataset directories taken as ``real``) mixed
    and split by root into one dataset version at ``out``; ``exports`` are written to
    ``out.exports/FORMAT`` (beside the version, not inside it; hf: ``FORMAT/NAME-VERSION``)."""
    from .dataset.export import export, export_dir
    from .mix import Mix, Part, Split
    from .pipeline import Pipeline

    ps = [p if isinstance(p, Part) else Part(p) for p in parts]
    split = Split(dev, test, tuple(test_sets), tuple(dev_sets)) if (dev or test or test_sets or dev_sets) else None
    src = Mix(ps, temperature=temperature, split=split, name=name)
    synthetic = any(p.origin != "real" for p in ps)
    pipe = Pipeline(name, src, [], description=description or f"Mix of {len(ps)} parts: "
                    + ", ".join(sorted({p.origin for p in ps})), license=license, synthetic=synthetic)
    v = _run(pipe, out, seed=seed, workers=workers, batch_size=batch_size, overwrite=overwrite, progress=False)
    done = {}
    for fmt in exports:
        target = export_dir(f"{Path(out)}.exports", fmt, v.manifest)
        export(v.path, target, fmt)
        done[fmt] = target
    return Version(v.path, v.name, v.version, v.rows, v.rejected, v.content_digest, v.manifest, done)


def report(directory: str | Path, out: str | Path | None = None, **options: Any) -> Path:
    """``xdata report``: the HTML report of a dataset version (and its JSON beside it)."""
    import importlib

    return importlib.import_module("xdata.report").report(directory, out, **options)


def export(directory: str | Path, target: str | Path, fmt: str) -> Path:
    """``xdata export``: write a dataset version in a trainer's format; returns the export directory."""
    from .dataset.export import export as export_fn

    export_fn(directory, target, fmt)
    return Path(target)


__all__ = ["Version", "run", "backtranslate", "codeswitch", "project", "mix", "report", "export"]
