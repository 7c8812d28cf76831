"""Verbs on pipelines and dataset versions: run, verify, diff, info, trace, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from ..dataset import diff as diff_fn
from ..dataset import info as info_fn
from ..dataset import trace as trace_fn
from ..dataset import verify as verify_fn
from .common import BATCH_SIZE, OVERWRITE, PROGRESS, SEED, WORKERS, app, echo_json, handle_errors, parse_pairs, summarize_manifest


@app.command()
@handle_errors
def run(
    recipe: Path = typer.Argument(..., help="Recipe file (a Python script defining build(ctx))."),
    out: Optional[Path] = typer.Option(None, "--out", help="Dataset directory (default: out/<recipe name>)."),
    executor: str = typer.Option("local", "--executor", help="local or ray."),
    workers: Optional[int] = WORKERS,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
    option: list[str] = typer.Option([], "--set", help="Recipe option KEY=VALUE (repeatable)."),
    overwrite: bool = OVERWRITE,
    progress: Optional[bool] = PROGRESS,
    history: bool = typer.Option(False, "--history", help="Keep every version: write OUT/VERSION/ and point "
                                 "OUT/latest at it (see `xdata log`, `xdata gc`)."),
    update_from: Optional[Path] = typer.Option(None, "--update-from", help="A previous version of this dataset: "
                                               "blocks whose input is unchanged are taken over, not recomputed."),
) -> None:
    """Run a recipe and write a versioned dataset."""
    from ..recipe import run_recipe

    opts = parse_pairs(option, "--set")
    out = out or Path("out") / recipe.stem
    m = run_recipe(recipe, out, executor=executor, seed=seed, batch_size=batch_size, workers=workers,
                   options=opts, progress=progress, overwrite=overwrite, history=history, update_from=update_from,
                   log=lambda msg: typer.echo(msg, err=True))
    if "plan" not in m:
        summarize_manifest(m, out / m["version"] if history else out)
        return
    plan = m["plan"]
    done = sum(1 for p in plan["parts"] if p["status"] == "computed")
    typer.echo(f"ran {len(plan['parts'])} parts into {out}: {done} computed, {len(plan['parts']) - done} reused",
               err=True)
    for w in m.get("warnings") or []:
        typer.echo(f"warning: {w}", err=True)
    for name, fmts in plan["exports"].items():
        for fmt, where in fmts.items():
            typer.echo(f"export {name} ({fmt}): {out / where}")
    for name, where in plan["reports"].items():
        typer.echo(f"report {name}: {out / where}")


@app.command()
@handle_errors
def verify(
    directory: Path = typer.Argument(..., help="Dataset version directory."),
    deep: bool = typer.Option(False, "--deep", help="Also recompute the content digest from the rows."),
) -> None:
    """Recompute digests; exit non-zero naming every changed, missing or extra shard."""
    rep = verify_fn(directory, deep=deep)
    if rep.ok:
        typer.echo(f"ok: {directory} matches its manifest")
        return
    for line in rep.lines():
        typer.echo(line, err=True)
    raise typer.Exit(1)


@app.command()
@handle_errors
def diff(a: Path = typer.Argument(..., help="Dataset A."), b: Path = typer.Argument(..., help="Dataset B."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON."),
         stats: bool = typer.Option(False, "--stats", help="Compare per-language figures (rows, lengths, script mix, "
                                    "synthetic share) instead of rows; exit 1 when one moves past a threshold."),
         max_rows: Optional[float] = typer.Option(None, "--max-rows-change", help="--stats: allowed relative change of "
                                                  "a language's rows (0.2 = 20%); a language that appears or goes counts."),
         max_length: Optional[float] = typer.Option(None, "--max-length-change", help="--stats: allowed relative "
                                                    "change of a language's median length."),
         max_script: Optional[float] = typer.Option(None, "--max-script-change", help="--stats: allowed change of a "
                                                    "script's share, in points (0.05 = 5 points)."),
         max_synthetic: Optional[float] = typer.Option(None, "--max-synthetic-change", help="--stats: allowed change "
                                                       "of the synthetic share, in points.")) -> None:
    """Rows added, removed and changed from A to B (by id), per step and language; with --stats, a drift check."""
    if stats:
        from ..drift import Thresholds, drift, profile

        pa, pb = profile(a), profile(b)
        moved = drift(pa, pb, Thresholds(max_rows, max_length, max_script, max_synthetic))
        if as_json:
            echo_json({"a": pa, "b": pb, "drift": moved})
        else:
            for lg in sorted(set(pa["languages"]) | set(pb["languages"])):
                x, y = pa["languages"].get(lg, {}), pb["languages"].get(lg, {})
                typer.echo(f"{lg}: rows {x.get('rows', 0):,} -> {y.get('rows', 0):,}; synthetic "
                           f"{x.get('synthetic', 0):.1%} -> {y.get('synthetic', 0):.1%}; scripts {x.get('scripts', {})} "
                           f"-> {y.get('scripts', {})}")
        for line in moved:
            typer.echo(f"drift: {line}", err=True)
        if moved:
            raise typer.Exit(1)
        return
    d = diff_fn(a, b)
    if as_json:
        echo_json(d)
        return
    typer.echo(f"A: {d['a']['name']}@{d['a']['version']} ({d['a']['rows']:,} rows)")
    typer.echo(f"B: {d['b']['name']}@{d['b']['version']} ({d['b']['rows']:,} rows)")
    typer.echo("identical content" if d["identical"] else
               f"added {d['added']:,}, removed {d['removed']:,}, changed {d['changed']:,}"
               + (f"; same content but other provenance or per-row details (scores, meta, input version) in "
                  f"{d['other_changed']:,}" if d.get("other_changed") else ""))
    for key in ("added_by", "removed_by", "changed_by"):
        for r in d[key]:
            typer.echo(f"  {key.split('_')[0]:8s} {r['rows']:>8,}  step {r['step']}  language {r['language']}")
    for s in d["steps_only_in_a"]:
        typer.echo(f"  step only in A: {s}")
    for s in d["steps_only_in_b"]:
        typer.echo(f"  step only in B: {s}")


@app.command()
@handle_errors
def info(directory: Path = typer.Argument(..., help="Dataset version directory."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Summarize a dataset version."""
    i = info_fn(directory)
    if as_json:
        echo_json(i)
        return
    typer.echo(f"{i['name']} version {i['version']} ({i['kind']}), created {i['created']}")
    typer.echo(f"rows {i['rows']:,}, rejected {i['rejected_rows']:,}, shards {i['shards']}, seed {i['seed']}")
    typer.echo(f"content digest {i['content_digest']}")
    typer.echo("inputs: " + ", ".join(i["inputs"]))
    typer.echo("steps: " + (" -> ".join(i["steps"]) or "(none)"))
    for k, v in i["resources"].items():
        typer.echo(f"resource {k}: {v}")
    for lang, n in i["rows_per_language"].items():
        typer.echo(f"  {lang}: {n:,}")
    for a in i["accounting"]:
        typer.echo(f"  {a['step']}: in {a['in']:,} out {a['out']:,} rejected {a['rejected']:,}")


@app.command("report")
@handle_errors
def report_cmd(directory: Path = typer.Argument(..., help="Dataset version directory."),
               out: Optional[Path] = typer.Option(None, "--out", help="HTML file to write (default: DIR.report.html "
                                                  "beside DIR); the JSON with the same figures goes beside it."),
               tokenizer: list[Path] = typer.Option([], "--tokenizer", help="Sentencepiece .model file: report its "
                                                    "subword fertility per language (repeatable)."),
               sample: int = typer.Option(5, "--sample", min=0, help="Rows shown per origin."),
               seed: int = typer.Option(0, "--seed", help="Which rows are shown (same seed, same rows).")) -> None:
    """Write one self-contained HTML page (and its JSON figures) showing per language whether a version is fit to train on."""
    from ..report import report as report_fn
    from ..report import report_paths

    page = report_fn(directory, out, tokenizers=tokenizer, sample=sample, seed=seed)
    typer.echo(f"wrote {page} and {report_paths(directory, out)[1]}", err=True)


@app.command()
@handle_errors
def trace(directory: Path = typer.Argument(..., help="Dataset version directory."),
          row_id: str = typer.Argument(..., help="Row id."),
          search: list[Path] = typer.Option([], "--search", help="Where else to look for the datasets the row "
                                            "was read from (repeatable; beside DIRECTORY is always searched).")) -> None:
    """Print a row's lineage in plain words, back through every dataset it was read from."""
    for line in trace_fn(directory, row_id, search=search):
        typer.echo(line)


@app.command("log")
@handle_errors
def log_cmd(root: Path = typer.Argument(..., help="A dataset history (written with `xdata run --history`)."),
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the versions of a dataset history, oldest first, with their pointers."""
    from ..dataset.history import log

    entries = log(root)
    if as_json:
        echo_json(entries)
        return
    for e in entries:
        tags = f"  <- {', '.join(e['pointers'])}" if e["pointers"] else ""
        typer.echo(f"{e['version']}  {e['created']}  {e['rows']:,} rows  inputs {', '.join(e['inputs'])}  "
                   f"recipe {e['recipe_digest']}  parent {e['parent_version']}{tags}")


@app.command("gc")
@handle_errors
def gc_cmd(root: Path = typer.Argument(..., help="A dataset history."),
           delete: bool = typer.Option(False, "--delete", help="Delete them (default: only say which).")) -> None:
    """Remove the versions no pointer (latest, or a tag link beside it) refers to; a dry run unless --delete."""
    from ..dataset.history import gc

    doomed = gc(root, delete=delete)
    verb = "deleted" if delete else "would delete (pass --delete)"
    typer.echo(f"{verb}: {', '.join(doomed) if doomed else 'nothing'}", err=True)


@app.command("rebuild")
@handle_errors
def rebuild_cmd(directory: Path = typer.Argument(..., help="Dataset version directory made by `xdata run`."),
                recipe: Optional[Path] = typer.Option(None, "--recipe", help="The recipe file (default: found by "
                                                      "its name in the current directory or recipes/)."),
                workers: Optional[int] = WORKERS) -> None:
    """Rebuild a version from its manifest (recipe, options, seed) and check the content digest matches."""
    from ..rebuild import rebuild

    rep = rebuild(directory, recipe=recipe, workers=workers)
    if rep["reproduced"]:
        typer.echo(f"reproduced: {directory} version {rep['version']}, content digest {rep['content_digest'][:16]}")
        return
    typer.echo(f"NOT reproduced: version {rep['version']} -> {rep['rebuilt_version']}, content digest "
               f"{rep['content_digest'][:16]} -> {rep['rebuilt_content_digest'][:16]}", err=True)
    for line in rep["differences"]:
        typer.echo(f"  {line}", err=True)
    raise typer.Exit(1)


@app.command("export")
@handle_errors
def export_cmd(
    directory: Path = typer.Argument(..., help="Dataset version directory."),
    fmt: list[str] = typer.Option(..., "--format", help="hf | parallel | jsonl | conll | conllu (repeatable)."),
    out: Path = typer.Option(..., "--out", help="Export directory; with several formats, OUT/FORMAT for each."),
) -> None:
    """Write a dataset version in the formats trainers read, one file set per split (train/validation/test)."""
    from ..dataset.export import export

    for f in fmt:
        target = out if len(fmt) == 1 else out / f
        rec = export(directory, target, f)
        splits = ", ".join(f"{s} {n:,}" for s, n in rec["splits"].items())
        typer.echo(f"{rec['status']} {f} export of {rec['dataset']} version {rec['version']} to {target}: {splits}",
                   err=True)


def _part_spec(spec: str) -> Any:
    from ..errors import ConfigError
    from ..mix import Part

    path, *opts = spec.split(",")
    kw: dict[str, Any] = {}
    for o in opts:
        k, sep, v = o.partition("=")
        if not sep or k.strip() not in ("origin", "weight", "cap", "tag"):
            raise ConfigError(f"--part {spec!r}: expected DIR[,origin=NAME][,weight=W][,cap=N][,tag=TEXT], got {o!r}")
        k = k.strip()
        try:
            kw[k] = float(v) if k == "weight" else int(v) if k == "cap" else v
        except ValueError:
            raise ConfigError(f"--part {spec!r}: {k} must be a number, got {v!r}") from None
    return Part(path, **kw)


@app.command("mix")
@handle_errors
def mix_cmd(
    part: list[str] = typer.Option(..., "--part", help="DIR[,origin=NAME][,weight=W][,cap=N][,tag=TEXT] (repeatable): "
                                   "a dataset version (or a file) and how to take it; origin defaults to real."),
    out: Path = typer.Option(..., "--out", help="Dataset directory to write."),
    name: str = typer.Option("mix", "--name", help="Dataset name."),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="Sample language l in proportion to n_l^(1/T)."),
    dev: float = typer.Option(0.0, "--dev", help="Share of roots held out for validation."),
    test: float = typer.Option(0.0, "--test", help="Share of roots held out for test."),
    test_set: list[Path] = typer.Option([], "--test-set", help="A fixed test set (file or dataset; repeatable): its "
                                        "rows, what derives from them and duplicates of their text are held out."),
    dev_set: list[Path] = typer.Option([], "--dev-set", help="A fixed validation set (repeatable)."),
    export_fmt: list[str] = typer.Option([], "--export", help="Also export: hf | parallel | jsonl | conll | conllu "
                                         "(to OUT.exports/FORMAT)."),
    license: str = typer.Option("other", "--license", help="Licence of the mixed set (SPDX id)."),
    seed: int = SEED,
    batch_size: int = BATCH_SIZE,
    workers: Optional[int] = WORKERS,
    overwrite: bool = OVERWRITE,
) -> None:
    """Mix parts into one dataset (weights, caps, language temperature) and split it by root without leaks."""
    from ..api import mix

    v = mix([_part_spec(p) for p in part], out, name=name, temperature=temperature, dev=dev, test=test,
            test_sets=[str(p) for p in test_set], dev_sets=[str(p) for p in dev_set], exports=export_fmt, seed=seed,
            workers=workers, batch_size=batch_size, overwrite=overwrite, license=license)
    summarize_manifest(v.manifest, out)
    for s, st in (v.manifest.get("mix", {}).get("splits") or {}).items():
        typer.echo(f"  {s}: {st['rows']:,} rows, {st['roots']:,} roots, {st['leaks_removed']:,} leaks removed", err=True)
    for fmt, where in v.exports.items():
        typer.echo(f"export ({fmt}): {where}")
