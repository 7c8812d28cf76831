"""Text verbs: language identification (``xdata lid``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .common import app, handle_errors, parse_pairs


lid_app = typer.Typer(help="Language identification: label stdin lines, or train a model for your languages.",
                      invoke_without_command=True)
app.add_typer(lid_app, name="lid")


@lid_app.callback()
@handle_errors
def lid(
    ctx: typer.Context,
    model: Optional[Path] = typer.Option(None, "--model", help="fastText LID model file (implies --backend fasttext "
                                         "unless given; default model: lid.176.ftz)."),
    backend: str = typer.Option("auto", "--backend", help="auto | fasttext | heliport | cld3 | lingua. auto: the installed "
                                "backend measured best for --lang; without --lang heliport if installed, else fasttext."),
    lang: Optional[str] = typer.Option(None, "--lang", help="The language the lines are expected in (lets --backend "
                                       "auto pick the best backend for it); the output still names what was found."),
    k: int = typer.Option(1, "--k", min=1, help="Languages per line (lang<TAB>prob pairs)."),
    chunk: int = typer.Option(10_000, "--chunk", min=1, help="Lines predicted at once."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes (default: all cores; one for "
                                          "heliport, whose batch call uses every core itself)."),
) -> None:
    """Identify the language of each stdin line: `lang<TAB>prob`, exactly one output line per input line."""
    if ctx.invoked_subcommand is not None:
        return
    from ..lid import identify_stream

    identify_stream(sys.stdin.buffer, sys.stdout, model=str(model) if model else None, k=k, chunk=chunk,
                    workers=workers, backend=backend, lang=lang,
                    on_bad_utf8=lambda: typer.echo("warning: invalid UTF-8 on stdin; those bytes are replaced "
                                                   "with U+FFFD", err=True))


@lid_app.command("train")
@handle_errors
def lid_train(
    lang: list[str] = typer.Option(..., "--lang", help="TAG=FILE: a language and its text, one sentence a line "
                                   "(repeatable; 'other=FILE' for lines of languages outside the project)."),
    out: Path = typer.Option(..., "--out", help="Model file to write (fastText .bin)."),
    holdout: float = typer.Option(0.1, "--holdout", help="Share of each language's lines kept aside to score the model."),
    seed: int = typer.Option(0, "--seed", help="Shuffle seed (which lines are held out)."),
    epoch: int = typer.Option(20, "--epoch", min=1),
) -> None:
    """Train a fastText LID model for your project's languages; print held-out accuracy per language."""
    from ..lid import train_lid

    sources: dict[str, str | Path] = dict(parse_pairs(lang, "--lang", "TAG=FILE"))
    rep = train_lid(sources, out, holdout=holdout, seed=seed, epoch=epoch)
    for tag, r in rep["languages"].items():
        typer.echo(f"{tag}: trained on {r['train']:,} lines, held-out accuracy {r['accuracy']:.2%} "
                   f"({r['heldout']:,} lines)", err=True)
    typer.echo(f"wrote {out} (sha256 {rep['sha256'][:16]})", err=True)


@app.command()
@handle_errors
def normalize(
    lang: str = typer.Option(..., "--lang", help="Language tag (BCP-47 or NLLB), e.g. fa, ro, sr-Latn."),
    form: str = typer.Option("NFC", "--form", help="Unicode normalization form: NFC | NFKC."),
    no_punct: bool = typer.Option(False, "--no-punct", help="Keep punctuation variants as they are."),
    no_rules: bool = typer.Option(False, "--no-rules", help="Skip the language's rules."),
    harakat: bool = typer.Option(False, "--harakat", help="Remove Arabic vowel marks (lossy)."),
    digits: Optional[str] = typer.Option(None, "--digits", help="Convert digits: ascii | arabic-indic | extended-arabic-indic."),
    translit: Optional[str] = typer.Option(None, "--translit", help="Then transliterate: sr-Cyrl-Latn, sr-Latn-Cyrl, iso15919(-Deva...), uroman, icu:ID."),
    lossy: bool = typer.Option(False, "--lossy", help="Also apply the language's lossy rules (e.g. chandrabindu -> anusvara)."),
    fix_mojibake: bool = typer.Option(False, "--fix-mojibake", help="Repair mojibake first (ftfy)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes (default: all cores); output order is kept."),
    chunk: int = typer.Option(10_000, "--chunk", min=1, help="Lines per unit of work."),
) -> None:
    """Normalize stdin line by line: exactly one output line per input line."""
    from ..io.stream import map_lines
    from ..langs import parse_lang
    from ..normalize import normalize as norm
    from ..normalize.translit import transliterate
    from ..pipeline.executors import default_workers

    if translit:
        transliterate("", translit)  # validate the scheme before reading input

    tag = parse_lang(lang)
    opts = dict(form=form, punct=not no_punct, rules=not no_rules, harakat=harakat, digits=digits, lossy=lossy,
                mojibake=fix_mojibake)
    norm("", tag, **opts)  # validate the options before reading input
    map_lines(sys.stdin.buffer, sys.stdout, _normalizer, (tag, opts, translit), chunk=chunk,
              workers=workers or default_workers(),
              on_bad_utf8=lambda: typer.echo("warning: invalid UTF-8 on stdin; those bytes are replaced with U+FFFD",
                                             err=True))


def _normalizer(tag: str, opts: dict, translit: str | None):  # noqa: ANN202 - lines -> text
    """The per-process chunk function of ``xdata normalize`` (module level: picklable)."""
    from ..normalize import normalize as norm
    from ..normalize.translit import transliterate

    def run(lines: list[str]) -> str:
        out = []
        for line in lines:
            text = norm(line, tag, **opts)
            if translit:
                text = transliterate(text, translit)
            out.append(text.replace("\n", " ") + "\n")
        return "".join(out)

    return run


@app.command()
@handle_errors
def tokenize(lang: Optional[str] = typer.Option(None, "--lang", help="Language tag.")) -> None:
    """Tokenize stdin line by line (tokens joined by spaces): one output line per input line."""
    from ..tokenize import word_tokenize

    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        sys.stdout.write(" ".join(word_tokenize(line, lang)) + "\n")


spm_app = typer.Typer(help="Sentencepiece: train, encode, decode.", no_args_is_help=True)
app.add_typer(spm_app, name="spm")


@spm_app.command("train")
@handle_errors
def spm_train(
    inp: Path = typer.Option(..., "--in", help="Training text, one sentence a line."),
    model_prefix: Path = typer.Option(..., "--model-prefix", help="Writes PREFIX.model and PREFIX.vocab."),
    vocab_size: int = typer.Option(8000, "--vocab-size", min=8),
    model_type: str = typer.Option("unigram", "--model-type", help="unigram | bpe | char | word."),
    coverage: Optional[float] = typer.Option(None, "--character-coverage", help="Default: chosen from the script."),
    byte_fallback: bool = typer.Option(True, "--byte-fallback/--no-byte-fallback"),
) -> None:
    """Train a sentencepiece model."""
    from ..io.files import check_writable, open_binary
    from ..tokenize.subword import train

    check_writable(model_prefix.with_name(model_prefix.name + ".model"))  # before the training, not after

    with open_binary(inp) as fh:
        lines = [b.decode("utf-8", "replace").rstrip("\r\n") for b in fh]
    typer.echo(str(train(lines, model_prefix, vocab_size=vocab_size, model_type=model_type,
                         character_coverage=coverage, byte_fallback=byte_fallback)))


@spm_app.command("encode")
@handle_errors
def spm_encode(model: Path = typer.Option(..., "--model", help="A .model file.")) -> None:
    """Encode stdin line by line into space-separated pieces."""
    from ..tokenize.subword import Tokenizer

    tok = Tokenizer.load(model)
    for raw in sys.stdin.buffer:
        sys.stdout.write(" ".join(tok._sp.encode(raw.decode("utf-8", "replace").rstrip("\r\n"), out_type=str)) + "\n")


@spm_app.command("decode")
@handle_errors
def spm_decode(model: Path = typer.Option(..., "--model", help="A .model file.")) -> None:
    """Decode space-separated pieces on stdin back to text, line by line."""
    from ..tokenize.subword import Tokenizer

    tok = Tokenizer.load(model)
    for raw in sys.stdin.buffer:
        sys.stdout.write(tok._sp.decode(raw.decode("utf-8", "replace").split()) + "\n")


@app.command()
@handle_errors
def fertility(
    tokenizer: Path = typer.Option(..., "--tokenizer", help="Sentencepiece .model file or Hugging Face tokenizer dir."),
    corpus: list[str] = typer.Option(..., "--corpus", help="LANG=FILE (repeatable)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also write a PNG bar chart."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Subword tokens per word, per language, for any tokenizer: a table (and a plot)."""
    import json as _json

    from ..io.files import open_binary
    from ..tokenize.subword import Tokenizer, fertility_plot, fertility_table
    from ..tokenize.subword import fertility as fert

    corpora = {}
    for spec in corpus:
        if "=" not in spec:
            raise typer.BadParameter(f"--corpus expects LANG=FILE, got {spec!r}")
        lang, path = spec.split("=", 1)
        with open_binary(path) as fh:
            corpora[lang] = [b.decode("utf-8", "replace").rstrip("\r\n") for b in fh]
    rows = fert(Tokenizer.load(tokenizer), corpora)
    typer.echo(_json.dumps(rows, indent=2) if as_json else fertility_table(rows))
    if plot:
        fertility_plot(rows, plot, title=f"fertility of {Path(tokenizer).name}")
