"""Back-translation verb: ``xdata backtranslate``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import BATCH_SIZE, OVERWRITE, PROGRESS, SEED, WORKERS, app, handle_errors, summarize_manifest


@app.command()
@handle_errors
def backtranslate(
    engine: str = typer.Option("lexicon", "--engine", help="Translation engine (available: lexicon)."),
    lexicon: Optional[Path] = typer.Option(None, "--lexicon", help="Lexicon with the source-language word first (read in reverse)."),
    src_lang: str = typer.Option(..., "--src-lang", help="Language of the synthetic side (translate into it)."),
    tgt_lang: str = typer.Option(..., "--tgt-lang", help="Language of the monolingual input."),
    inp: Path = typer.Option(..., "--in", help="Monolingual target-language text, one sentence a line."),
    out: Path = typer.Option(..., "--out", help="Dataset directory to write."),
    decode: str = typer.Option("greedy", "--decode", help="greedy | sample (lexicon engine)."),
    n: int = typer.Option(1, "--n", min=1, help="Hypotheses per input line."),
    tag: str = typer.Option("", "--tag", help="Tag prefixed to the synthetic side (tagged back-translation), e.g. '<BT>'."),
    seed: int = SEED,
    batch_size: int = BATCH_SIZE,
    workers: Optional[int] = WORKERS,
    overwrite: bool = OVERWRITE,
    progress: Optional[bool] = PROGRESS,
) -> None:
    """Translate target-language text into synthetic source sentences; write a dataset of pairs."""
    from ..backtranslate.step import BackTranslate
    from ..io import TextSource
    from ..pipeline import Pipeline, run

    step = BackTranslate(src_lang=src_lang, engine=engine, lexicon=str(lexicon) if lexicon else None,
                         decode=decode, n=n, tag=tag)
    src = TextSource(inp, tgt_lang, on_error="reject")
    pipe = Pipeline(f"{src.name}-bt", src, [step], synthetic=True,
                    description=f"Back-translation of {src.name} ({tgt_lang}) into {src_lang} with the {engine} engine.")
    m = run(pipe, out, seed=seed, batch_size=batch_size, workers=workers, progress=progress, overwrite=overwrite)
    summarize_manifest(m, out)
