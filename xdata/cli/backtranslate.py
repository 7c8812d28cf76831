"""Back-translation verb: ``xdata backtranslate``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Optional

import typer

from .common import BATCH_SIZE, OUT, OVERWRITE, PROGRESS, SEED, WORKERS, app, handle_errors, summarize_manifest

#: Input lines per block (= per shard): small, so progress moves and a crash costs little.
BT_BLOCK_ROWS = 2000


def _defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}


def _lazy_defaults() -> tuple[dict[str, Any], dict[str, Any]]:
    from ..backtranslate import Decoding, EngineSpec

    return _defaults(Decoding), _defaults(EngineSpec)


#: The options' defaults come from the objects they build (one home for each default).
DECODING_DEFAULTS, ENGINE_DEFAULTS = _lazy_defaults()


def backtranslate_pipeline(inp: Path, *, src_lang: str, tgt_lang: str, engine: str, model: str | None,
                           lexicon: str | None, decode: str = "greedy", n: int = 1, tag: str = "",
                           bt_options: dict[str, Any] | None = None, max_ratio: float = 3.0,
                           max_copy: float = 1.0, max_repeat: int = 3, dedup: bool = True, lid: bool = False,
                           min_lid_prob: float = 0.5, round_trip_engine: str | None = None,
                           round_trip_model: str | None = None, round_trip_lexicon: str | None = None,
                           min_chrf: float = 0.0, cache: str = "auto") -> Any:
    """The back-translation pipeline of the CLI: translate, filter (scores kept), then tag."""
    from ..backtranslate.filters import CopyFilter, RepetitionFilter, RoundTripFilter
    from ..backtranslate.step import BackTranslate, TagSynthetic
    from ..filters import Dedup, LengthRatio
    from ..io import TextSource
    from ..pipeline import Pipeline

    from ..backtranslate import Decoding, EngineSpec
    from ..backtranslate.step import BackTranslateParams

    opts = dict(bt_options or {})
    decoding = Decoding(decode, n, **{k: opts.pop(k) for k in list(opts) if k in DECODING_DEFAULTS})
    spec = EngineSpec(engine, model, lexicon, **{k: opts.pop(k) for k in list(opts) if k in ENGINE_DEFAULTS})
    if opts:
        raise TypeError(f"unknown back-translation options: {', '.join(sorted(opts))}")
    steps: list[Any] = [BackTranslate(BackTranslateParams(src_lang, decoding, spec, cache=cache)),
                        LengthRatio(max_ratio=max_ratio), CopyFilter(max_overlap=max_copy),
                        RepetitionFilter(max_repeat=max_repeat)]
    if dedup:
        steps.append(Dedup(normalized=True))
    if lid:
        from ..lid import LidFilter

        steps.append(LidFilter(min_prob=min_lid_prob))
    if round_trip_model or round_trip_lexicon:
        rt_engine = round_trip_engine or ("lexicon" if round_trip_lexicon else engine if engine != "lexicon" else "hf")
        steps.append(RoundTripFilter(engine=rt_engine, model=round_trip_model, lexicon=round_trip_lexicon,
                                     min_chrf=min_chrf, cache=cache))
    if tag:
        steps.append(TagSynthetic(tag=tag))
    src = TextSource(inp, tgt_lang, on_error="reject")
    what = model if engine != "lexicon" else lexicon
    return Pipeline(f"{src.name}-bt", src, steps, synthetic=True,
                    description=f"Back-translation of {src.name} ({tgt_lang}) into {src_lang} with the {engine} engine "
                                f"({Path(str(what)).name}), decoding {decode}, {n} hypothesis(es) per line.")


@app.command()
@handle_errors
def backtranslate(
    src_lang: str = typer.Option(..., "--src-lang", help="Language of the synthetic side (the engine translates into it)."),
    tgt_lang: str = typer.Option(..., "--tgt-lang", help="Language of the monolingual input."),
    inp: Path = typer.Option(..., "--in", help="Monolingual target-language text, one sentence a line (.gz/.zst read)."),
    out: Path = OUT,
    engine: str = typer.Option(ENGINE_DEFAULTS["engine"], "--engine", help="hf (transformers) | ct2 (CTranslate2) | lexicon (baseline)."),
    model: Optional[str] = typer.Option(None, "--model", help="hf/ct2: model directory or hub name (a reverse model: target -> source)."),
    lexicon: Optional[Path] = typer.Option(None, "--lexicon", help="lexicon engine: source-language word first (read in reverse)."),
    decode: str = typer.Option(DECODING_DEFAULTS["decode"], "--decode", help="greedy | beam | sample | topk | topp | noised-beam."),
    n: int = typer.Option(1, "--n", min=1, help="Hypotheses per input line (one output row each)."),
    beam_size: int = typer.Option(DECODING_DEFAULTS["beam_size"], "--beam-size", min=1, help="Beam width (beam, noised-beam; at least --n)."),
    temperature: float = typer.Option(DECODING_DEFAULTS["temperature"], "--temperature", help="Sampling temperature (sample, topk, topp)."),
    top_k: int = typer.Option(DECODING_DEFAULTS["top_k"], "--top-k", min=1, help="topk: sample among the k most likely tokens."),
    top_p: float = typer.Option(DECODING_DEFAULTS["top_p"], "--top-p", help="topp: sample within this cumulative probability."),
    max_len_a: float = typer.Option(DECODING_DEFAULTS["max_len_a"], "--max-len-a", help="Output tokens at most a * input tokens + b."),
    max_len_b: int = typer.Option(DECODING_DEFAULTS["max_len_b"], "--max-len-b", min=0, help="See --max-len-a."),
    tag: str = typer.Option("", "--tag", help="Tag prefixed to the synthetic side (tagged back-translation), e.g. '<BT>'."),
    dtype: str = typer.Option(ENGINE_DEFAULTS["dtype"], "--dtype", help="hf: float32 | bfloat16 | float16."),
    device: str = typer.Option(ENGINE_DEFAULTS["device"], "--device", help="cpu, cuda, cuda:1 ..."),
    compute_type: str = typer.Option(ENGINE_DEFAULTS["compute_type"], "--compute-type", help="ct2: default | int8 | int8_float32 | float16 ..."),
    threads: int = typer.Option(ENGINE_DEFAULTS["threads"], "--threads", min=0, help="Threads per worker (0: one; more: faster, other score decimals)."),
    max_tokens: int = typer.Option(ENGINE_DEFAULTS["max_tokens"], "--max-tokens", min=1, help="Padded input tokens per engine batch."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Translation cache file (default: $XDATA_CACHE_DIR or ~/.cache/xdata)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Translate everything, remember nothing."),
    max_ratio: float = typer.Option(3.0, "--max-ratio", help="Filter: reject pairs whose character length ratio exceeds this."),
    max_copy: float = typer.Option(1.0, "--max-copy", help="Filter: reject at this share of copied tokens (exact copies always)."),
    max_repeat: int = typer.Option(3, "--max-repeat", min=1, help="Filter: reject when an n-gram repeats more than this many times in a row."),
    dedup: bool = typer.Option(True, "--dedup/--no-dedup", help="Filter: drop normalized duplicate pairs."),
    lid: bool = typer.Option(False, "--lid", help="Filter: LID on both sides (backend auto: the installed backend measured best per language)."),
    min_lid_prob: float = typer.Option(0.5, "--min-lid-prob", help="LID threshold per side."),
    round_trip_model: Optional[str] = typer.Option(None, "--round-trip-model", help="Forward model (source -> target) for round-trip chrF."),
    round_trip_engine: Optional[str] = typer.Option(None, "--round-trip-engine", help="hf | ct2 (default: --engine)."),
    min_chrf: float = typer.Option(0.0, "--min-chrf", help="Round trip: reject below this chrF (0 keeps all, scores only)."),
    seed: int = SEED,
    batch_size: int = BATCH_SIZE,
    workers: Optional[int] = WORKERS,
    overwrite: bool = OVERWRITE,
    progress: Optional[bool] = PROGRESS,
) -> None:
    """Translate target-language text into synthetic source sentences; write a dataset of pairs.

    A run that stopped halfway is resumed by running the same command again: translations
    already made are read from the cache and the dataset is written as if never interrupted.
    """
    from ..pipeline import run

    opts = dict(beam_size=beam_size, temperature=temperature, top_k=top_k, top_p=top_p, max_len_a=max_len_a,
                max_len_b=max_len_b, dtype=dtype, device=device, compute_type=compute_type, threads=threads,
                max_tokens=max_tokens)
    cache_s = "" if no_cache else (str(cache) if cache else "auto")
    pipe = backtranslate_pipeline(inp, src_lang=src_lang, tgt_lang=tgt_lang, engine=engine, model=model,
                                  lexicon=str(lexicon) if lexicon else None, decode=decode, n=n, tag=tag,
                                  bt_options=opts, max_ratio=max_ratio, max_copy=max_copy, max_repeat=max_repeat,
                                  dedup=dedup, lid=lid, min_lid_prob=min_lid_prob, round_trip_engine=round_trip_engine,
                                  round_trip_model=round_trip_model, min_chrf=min_chrf, cache=cache_s)
    m = run(pipe, out, seed=seed, batch_size=batch_size, workers=workers, progress=progress, overwrite=overwrite,
            block_rows=BT_BLOCK_ROWS)
    summarize_manifest(m, out)
