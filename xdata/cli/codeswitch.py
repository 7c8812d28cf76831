"""Code-switching verb: ``xdata codeswitch``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import BATCH_SIZE, OVERWRITE, PROGRESS, SEED, WORKERS, app, handle_errors, summarize_manifest


def _policy_defaults() -> dict:
    import dataclasses

    from ..codeswitch import Policy

    return {f.name: f.default for f in dataclasses.fields(Policy)}


#: The options' defaults come from the Policy they build (one home for each default).
POLICY = _policy_defaults()


@app.command()
@handle_errors
def codeswitch(
    lexicon: list[Path] = typer.Option(..., "--lexicon", help="Lexicon file, source word first (repeatable: several target languages)."),
    ratio: float = typer.Option(..., "--ratio", min=0.0, max=1.0, help="Probability of switching each covered token."),
    inp: Path = typer.Option(..., "--in", help="Input file."),
    out: Path = typer.Option(..., "--out", help="Dataset directory to write."),
    fmt: Optional[str] = typer.Option(None, "--format", help="text | conll | conllu | parquet (default: from the extension)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of the input (text, conll, conllu)."),
    field: str = typer.Option("upos", "--field", help="CoNLL-U column used as tags (upos, xpos, misc:KEY, ...)."),
    sentence_prob: float = typer.Option(POLICY["sentence_prob"], "--sentence-prob", min=0.0, max=1.0, help="Probability a sentence is switched at all."),
    reverse: bool = typer.Option(False, "--reverse", help="Read the lexicons target -> source (e.g. switch Swahili into English with an en-sw file)."),
    choose: str = typer.Option(POLICY["choose"], "--choose", help="Pick among translations: uniform | prob."),
    multi: str = typer.Option(POLICY["multi"], "--multi", help="With several lexicons, pick one per token or per sentence."),
    protect_capitalized: bool = typer.Option(POLICY["protect_capitalized"], "--protect-capitalized",
                                             help="Keep capitalized words after the first (names in untagged text)."),
    stem_prefix: int = typer.Option(0, "--stem-prefix", min=0, help="Also match words by their first N letters (prefix stemming)."),
    protect_tags: str = typer.Option(POLICY["protect_tags"], "--protect-tags",
                                     help="Tags never switched, comma-separated; a trailing '-' is a prefix (e.g. 'B-,I-')."),
    seed: int = SEED,
    batch_size: int = BATCH_SIZE,
    workers: Optional[int] = WORKERS,
    overwrite: bool = OVERWRITE,
    progress: Optional[bool] = PROGRESS,
) -> None:
    """Replace covered words with lexicon translations; write a versioned dataset and print coverage."""
    from ..codeswitch.step import CodeSwitch, coverage_report
    from ..dataset import load_rows
    from ..io import open_source
    from ..pipeline import Pipeline, run

    src = open_source(inp, fmt=fmt, lang=lang, field=field)
    step = CodeSwitch(lexicons=tuple(str(p) for p in lexicon), reverse=reverse, ratio=ratio,
                      sentence_prob=sentence_prob, choose=choose, multi=multi, protect_tags=protect_tags,
                      protect_capitalized=protect_capitalized, stem_prefix=stem_prefix)
    pipe = Pipeline(f"{src.name}-codeswitch", src, [step], synthetic=True,
                    description=f"{src.name} code-switched with {', '.join(p.name for p in lexicon)} (ratio {ratio}).")
    m = run(pipe, out, seed=seed, batch_size=batch_size, workers=workers, progress=progress, overwrite=overwrite)
    summarize_manifest(m, out)
    rep = coverage_report(load_rows(out, ["cs_tokens", "cs_covered", "cs_switched"])) if m["rows"] else \
        {"rows": 0, "note": "no rows were written, so there is no coverage to report"}
    typer.echo(json.dumps(rep), err=True)


from .common import echo_json, lexicon_app  # noqa: E402


@lexicon_app.command("stats")
@handle_errors
def lexicon_stats(
    lexicon: Path = typer.Argument(..., help="Lexicon file (MUSE or TSV)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Text file (one sentence a line) to measure coverage on."),
    reverse: bool = typer.Option(False, "--reverse", help="Read the lexicon target -> source."),
) -> None:
    """Size, ambiguity and corpus coverage of a lexicon, as JSON."""
    from ..lexicon import load_lexicon
    from ..lexicon.catalog import stats
    from ..tokenize import word_tokenize

    lex = load_lexicon(lexicon)
    lex = lex.reversed() if reverse else lex
    sents = None
    if corpus is not None:
        from ..io.files import open_binary

        with open_binary(corpus) as fh:
            sents = [word_tokenize(line.decode("utf-8", "replace")) for line in fh]
    echo_json(stats(lex, sents))


@lexicon_app.command("fetch")
@handle_errors
def lexicon_fetch(
    name: str = typer.Argument(..., help="Catalog name (see lexicons/catalog.tsv)."),
    dest: Path = typer.Option(Path("lexicons/downloads"), "--dest", help="Directory to download into."),
    catalog: Optional[Path] = typer.Option(None, "--catalog", help="Another catalog file."),
    sha256: Optional[str] = typer.Option(None, "--sha256", help="Expected sha256 when the catalog pins none (required then)."),
    allow_root: Optional[Path] = typer.Option(None, "--allow-root", help="Directory file:// URLs may point into (default: the catalog's)."),
) -> None:
    """Download a lexicon listed in the catalog; keep it only if its sha256 matches and it parses.

    Names are slugs, URLs https:// (or file:// inside --allow-root), and a sha256 is required.
    """
    from ..lexicon.catalog import fetch

    typer.echo(str(fetch(name, dest, catalog=catalog, sha256=sha256, allowed_root=allow_root)))
