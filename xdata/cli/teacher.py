"""Teacher verbs: ``xdata teacher train | calibrate | label`` and ``xdata pseudolabel``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import OVERWRITE, SEED, app, echo_json, handle_errors, summarize_manifest

teacher_app = typer.Typer(help="Teachers: train the built-in tagger, calibrate a teacher, label CoNLL-U.",
                          no_args_is_help=True)
app.add_typer(teacher_app, name="teacher")


def _slice(spec: Optional[str]) -> Optional[slice]:
    """``A:B`` (0-based sentence indices, B exclusive; either side may be empty) as a slice."""
    if spec is None:
        return None
    from ..errors import ConfigError

    a, sep, b = spec.partition(":")
    try:
        if not sep:
            raise ValueError
        return slice(int(a) if a else None, int(b) if b else None)
    except ValueError:
        raise ConfigError(f"--sentences takes A:B (0-based, B exclusive), got {spec!r}") from None


@teacher_app.command("train")
@handle_errors
def train(
    conllu: Path = typer.Option(..., "--conllu", help="Gold CoNLL-U file of the high-resource language."),
    out: Path = typer.Option(..., "--out", help="Directory to write the tagger teacher to."),
    field: str = typer.Option("upos", "--field", help="upos | xpos | deprel | ner | misc:KEY."),
    sentences: Optional[str] = typer.Option(None, "--sentences", help="Train on sentences A:B only (0-based, B exclusive)."),
    epochs: int = typer.Option(30, "--epochs", min=1),
) -> None:
    """Train xdata's feature-based tagger on gold labels and save it as a teacher directory."""
    from ..teacher.conllu import train_tagger_conllu

    t = train_tagger_conllu(conllu, out, field=field, epochs=epochs, sentences=_slice(sentences))
    typer.echo(f"trained a tagger teacher ({len(t.labels)} labels); wrote {out}; digest {t.digest[:16]}", err=True)


@teacher_app.command("calibrate")
@handle_errors
def calibrate(
    teacher: str = typer.Option(..., "--teacher", help="Model directory, tagger directory or py:MODULE:NAME."),
    dev: list[str] = typer.Option(..., "--dev", help="Labelled dev CoNLL-U file, or LANG=FILE (repeatable: one "
                                  "temperature for all, the report per language too)."),
    field: str = typer.Option("upos", "--field"),
    sentences: Optional[str] = typer.Option(None, "--sentences", help="Use dev sentences A:B only (0-based, B exclusive)."),
    pooling: str = typer.Option("first", "--pooling", help="Subwords -> words for transformers teachers: first | mean."),
    bins: int = typer.Option(15, "--bins", min=1),
) -> None:
    """Fit the temperature on a dev set (minimum NLL); print ECE, NLL and accuracy before/after, per label, as JSON.

    Pass the printed temperature to the teach step (temperature=...)."""
    from ..teacher import load_teacher
    from ..teacher.conllu import calibrate_conllu

    devs = [(d.partition("=")[0], d.partition("=")[2]) if "=" in d else (Path(d).stem, d) for d in dev]
    echo_json(calibrate_conllu(load_teacher(teacher, pooling=pooling), devs if len(devs) > 1 else devs[0][1],
                               field=field, n_bins=bins, sentences=_slice(sentences)))


@teacher_app.command("label")
@handle_errors
def label(
    teacher: str = typer.Option(..., "--teacher", help="Model directory, tagger directory or py:MODULE:NAME."),
    inp: Path = typer.Option(..., "--in", help="CoNLL-U file whose words to label."),
    out: Path = typer.Option(..., "--out", help="Output CoNLL-U: --field replaced by the teacher's tags, MISC TagProb=p."),
    field: str = typer.Option("upos", "--field"),
    temperature: float = typer.Option(1.0, "--temperature", min=1e-6),
    pooling: str = typer.Option("first", "--pooling"),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    """Label a CoNLL-U file with a teacher (`xdata eval tags` then also reports the calibration error)."""
    from ..errors import ConfigError
    from ..teacher import load_teacher
    from ..teacher.conllu import label_conllu

    if out.exists() and not overwrite:
        raise ConfigError(f"--out {out} exists; pass --overwrite to replace it")
    if out.resolve() == inp.resolve():
        raise ConfigError(f"--out {out} is the input; write elsewhere")
    n = label_conllu(load_teacher(teacher, pooling=pooling), inp, out, field=field, temperature=temperature)
    typer.echo(f"labelled {n:,} tokens; wrote {out}", err=True)


@app.command("pseudolabel")
@handle_errors
def pseudolabel(
    teacher: str = typer.Option(..., "--teacher", help="Teacher: a transformers token-classification model directory, "
                                "a tagger from `xdata teacher train`, or py:MODULE:NAME."),
    inp: Path = typer.Option(..., "--in", help="Sentence pairs (TSV src<TAB>tgt, whitespace-tokenized) or a dataset "
                             "version of pair rows; or target text (.txt, with --src-lang its language) for a "
                             "multilingual teacher applied directly."),
    out: Path = typer.Option(..., "--out", help="Dataset directory to write (tagged target rows)."),
    src_lang: Optional[str] = typer.Option(None, "--src-lang", help="Language of the labelled (source) side (TSV input)."),
    tgt_lang: Optional[str] = typer.Option(None, "--tgt-lang", help="Language of the target side (TSV input)."),
    temperature: float = typer.Option(1.0, "--temperature", help="Teacher temperature (from `xdata teacher calibrate`)."),
    top_k: int = typer.Option(3, "--top-k", min=1, help="Labels kept per token in meta.pseudolabel.top."),
    min_prob: float = typer.Option(0.0, "--min-prob", help="Tokens whose top probability is below this are left unlabelled."),
    min_score: float = typer.Option(0.0, "--min-score", help="Sentences whose mean top probability is below this are rejected."),
    method: str = typer.Option("builtin", "--method", help="Aligner (builtin is deterministic; eflomal samples)."),
    seed: int = SEED,
    overwrite: bool = OVERWRITE,
) -> None:
    """Label the source side of sentence pairs with a teacher, align, and project the soft labels to the target."""
    from ..pipeline import Pipeline, run
    from ..teacher.pseudolabel import PseudolabelSource

    src = PseudolabelSource(str(inp), teacher, temperature=temperature, top_k=top_k, min_prob=min_prob,
                            min_score=min_score, method=method, src_lang=src_lang, tgt_lang=tgt_lang)
    pipe = Pipeline(src.name, src, [], synthetic=True,
                    description=f"Target tokens of {inp.name} labelled by projecting the soft labels a teacher gave "
                                "the source side.")
    m = run(pipe, out, seed=seed, workers=1, overwrite=overwrite)
    summarize_manifest(m, out)
