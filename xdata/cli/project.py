"""Projection verbs: ``xdata project`` and ``xdata eval tags``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import app, echo_json, eval_app, handle_errors


@app.command()
@handle_errors
def project(
    src: Path = typer.Option(..., "--src", help="Source CoNLL-U file holding the labels to project."),
    tgt: Path = typer.Option(..., "--tgt", help="Target CoNLL-U file (its tokens are kept as given), sentence-parallel with --src."),
    field: str = typer.Option(..., "--field", help="upos | xpos | deprel | ner (= misc:NER) | misc:KEY | meta:KEY (sentence label)."),
    out: Path = typer.Option(..., "--out", help="Output CoNLL-U file: the target with the projected field filled in."),
    method: str = typer.Option("auto", "--method", help="Aligner: auto (best available) | eflomal | builtin | ..."),
    sym: Optional[str] = typer.Option(None, "--sym", help="Symmetrization (default: intersection with --retag, else grow-diag-final-and)."),
    train_extra_src: Optional[Path] = typer.Option(None, "--train-extra-src", help="Extra source text (tokenized, a sentence a line), for training only."),
    train_extra_tgt: Optional[Path] = typer.Option(None, "--train-extra-tgt", help="Extra target text, line-aligned with --train-extra-src."),
    lexicon: Optional[Path] = typer.Option(None, "--lexicon", "--priors", help="Bilingual lexicon (MUSE or TSV, source word first) used as alignment priors."),
    alignment: Optional[Path] = typer.Option(None, "--alignment", help="Given links (`i-j`, 0-based, source first; a line per pair) instead of aligning."),
    mode: str = typer.Option("auto", "--mode", help="auto (span for BIO labels, else token) | token | span."),
    retag: bool = typer.Option(True, "--retag/--no-retag", help="Token mode: relabel with a tagger trained on the projections (fills gaps, fixes noise)."),
    unaligned: str = typer.Option("none", "--unaligned", help="Token mode without --retag: none | fallback."),
    fallback: Optional[str] = typer.Option(None, "--fallback", help="Label for unaligned tokens with --unaligned fallback."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0, help="Span mode: drop spans whose link coverage is below this."),
    gold: str = typer.Option("clear", "--gold", help="What happens to the target's own value of the field: clear | misc (moved to MISC Gold<Field>=...)."),
    seed: int = typer.Option(0, "--seed"),
    view: Optional[str] = typer.Option(None, "--view", help="Alignment tokens the aligner sees, one per word: stem "
                                       "(default: NFKC, case folding, a script-aware prefix) | fold | none (the "
                                       "forms as given) | snowball:LANG | spm:MODEL, or SRC,TGT; see `xdata align --view`."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists."),
) -> None:
    """Project a CoNLL-U field from S onto the tokens of T (sentences paired by order).

    The output is written atomically (a temporary file renamed into place); an existing
    --out is replaced only with --overwrite, and a missing directory is reported before any work.
    """
    from ..errors import ConfigError
    from ..project import project_conllu
    from .align import _check_writable, read_extra

    _check_writable(out, "--out")
    if out.exists() and not overwrite:
        raise ConfigError(f"--out {out} exists; pass --overwrite to replace it")
    if out.resolve() in (src.resolve(), tgt.resolve()):
        raise ConfigError(f"--out {out} is one of the inputs; write elsewhere")
    typer.echo(f"projecting {field} from {src} onto {tgt} ...", err=True)

    es, et = read_extra(train_extra_src, train_extra_tgt)
    links = None
    if alignment is not None:
        from ..align import read_pharaoh

        links = [sorted(sure) for sure, _ in read_pharaoh(alignment)]
    rep = project_conllu(src, tgt, out, field, method=method, sym=sym, extra_src=es, extra_tgt=et, lexicon=lexicon, links=links,
                         mode=mode,
                         retag=retag, unaligned=unaligned, fallback=fallback, min_confidence=min_confidence,
                         gold=gold, seed=seed, progress=lambda msg: typer.echo(f"  {msg}", err=True), view=view)
    how = ", ".join(f"{k} {v:,}" for k, v in sorted(rep.by.items()))
    tokens = f", alignment tokens {rep.view}" if rep.view else ""
    typer.echo(f"projected {rep.field} ({rep.mode}, {rep.method}{tokens}) onto {rep.sentences:,} sentences: "
               f"{rep.labelled:,}/{rep.tokens:,} tokens labelled ({how}); wrote {out}", err=True)


@eval_app.command("tags")
@handle_errors
def eval_tags(
    gold: Path = typer.Option(..., "--gold", help="Gold CoNLL-U file."),
    pred: Path = typer.Option(..., "--pred", help="Predicted CoNLL-U file (same sentences and words)."),
    field: str = typer.Option("upos", "--field", help="upos | xpos | deprel | ner | misc:KEY."),
    reliability: Optional[Path] = typer.Option(None, "--reliability", help="Write the reliability diagram (PNG) of the MISC TagProb probabilities."),
    bins: int = typer.Option(15, "--bins", min=1, help="Confidence bins for the calibration error and the diagram."),
) -> None:
    """Accuracy (over labelled tokens, over all, per label), coverage, span P/R/F1 for BIO fields and,
    when predictions carry MISC TagProb, the expected calibration error; as JSON."""
    from ..project import evaluate_tags

    echo_json(evaluate_tags(gold, pred, field, reliability=reliability, n_bins=bins))
