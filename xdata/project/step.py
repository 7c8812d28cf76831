"""The ``project`` pipeline step: aligned ``pair`` rows with source tags -> ``tagged`` target rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..errors import ConfigError
from ..pipeline.step import Context, Step, StepResult, merge_meta


@dataclass(frozen=True)
class ProjectParams:
    mode: str = "auto"  # token | span | auto (span when the row's source tags are BIO)
    unaligned: str = "none"  # none | fallback (token mode)
    fallback: str = ""  # the label of unaligned target tokens when unaligned="fallback"
    min_confidence: float = 0.0  # span mode: drop projected spans below this link coverage
    unlabelled: str = "_"  # the tag written for a target token that received no label
    tags_column: str = "src_tags"


class Project(Step):
    """Project source-token tags onto target tokens over the row's word alignment.

    Reads ``pair`` rows with ``src`` / ``tgt`` (whitespace-tokenized), ``alignment`` (Pharaoh
    ``i-j``, 0-based, source first -- as written by ``xdata align``) and ``src_tags`` (a list of
    one tag per source token). Emits ``tagged`` rows in the target language: ``tokens`` = the
    target tokens, ``tags`` = the projected tags (``unlabelled`` where none). Per-row ``meta``
    key ``project`` records, per target token, the source tokens that produced its tag and, in
    span mode, each projected span with its links and confidence. Rows without an alignment, or
    whose tags or links do not fit their tokens, are rejected with the reason.

    The step is row-scoped (a pure function of each row); the corpus-level tagger that labels
    what projection misses (:func:`xdata.project.tagger.retag`) needs the whole corpus and runs
    in :func:`xdata.project.project_conllu` or on the step's output.
    """

    name = "project"
    kinds = ("pair",)
    # ``alignment`` and the tags column are checked per batch: sources declare only the content
    # columns of their kind, so a static ``reads`` entry would reject every real input.
    reads = ("src", "tgt")
    writes = ()
    Params = ProjectParams

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        p = self.params
        if p.mode not in ("auto", "token", "span"):
            raise ConfigError(f"mode must be auto, token or span, got {p.mode!r}")
        if p.unaligned not in ("none", "fallback"):
            raise ConfigError(f"unaligned must be 'none' or 'fallback', got {p.unaligned!r}")
        if p.unaligned == "fallback" and not p.fallback:
            raise ConfigError("unaligned='fallback' needs fallback= (the label of unaligned tokens)")

    def output_kind(self, kind: str) -> str:
        return "tagged"

    def project_row(self, src: str, tgt: str, alignment: str | None,
                    tags: list[str] | None) -> tuple[list[str], list[str], dict[str, Any]] | str:
        """(target tokens, tags, meta record) for one row, or the reason to reject it."""
        from ..align import parse_links
        from ..errors import InputError
        from . import is_bio_labels, project_spans, project_tokens

        p = self.params
        s_toks, t_toks = src.split(), tgt.split()
        if alignment is None:
            return "no alignment"
        if tags is None or len(tags) != len(s_toks):
            return f"{self.params.tags_column} has {0 if tags is None else len(tags)} tags for {len(s_toks)} source tokens"
        try:
            links = sorted(parse_links(alignment)[0])
        except InputError as e:
            return f"malformed alignment: {e}"
        bad = [(i, j) for i, j in links if i >= len(s_toks) or j >= len(t_toks)]
        if bad:
            return f"link {bad[0][0]}-{bad[0][1]} out of range for {len(s_toks)} source and {len(t_toks)} target tokens"
        mode = p.mode
        if mode == "auto":
            mode = "span" if is_bio_labels(tags) else "token"
        if mode == "span":
            bio, kept, dropped = project_spans(["O" if t in ("_", "") else t for t in tags], links, len(t_toks),
                                               min_confidence=p.min_confidence)
            meta = {"mode": "span", "spans": [{"label": k.label, "src": [k.src.start, k.src.end],
                                               "tgt": [k.tgt.start, k.tgt.end], "confidence": k.confidence,
                                               "links": [list(x) for x in k.links]} for k in kept],
                    "dropped": [{"label": sp.label, "src": [sp.start, sp.end], "reason": why} for sp, why in dropped]}
            return t_toks, bio, meta
        proj = project_tokens(tags, links, len(t_toks), unaligned=p.unaligned,
                              fallback=p.fallback or None, ignore=("_", ""))
        out = [p.unlabelled if lab is None else lab for lab in proj.labels]
        return t_toks, out, {"mode": "token", "from": proj.sources, "agreement": proj.agreement}

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        col = self.params.tags_column
        if col not in batch.columns:
            raise ConfigError(f"step 'project' needs a {col!r} column (one tag per source token); "
                              f"the batch has {', '.join(batch.columns)}")
        if "alignment" not in batch.columns:
            raise ConfigError("step 'project' needs an 'alignment' column (Pharaoh i-j links, e.g. from xdata align); "
                              f"the batch has {', '.join(batch.columns)}")
        aligns = batch["alignment"].to_list()
        results = [self.project_row(s, t, a, tg) for s, t, a, tg in
                   zip(batch["src"].to_list(), batch["tgt"].to_list(), aligns, batch[col].to_list())]
        ok = [not isinstance(r, str) for r in results]
        keep = batch.filter(pl.Series(ok))
        good = [r for r in results if not isinstance(r, str)]
        rows = keep.with_columns(
            pl.Series("lang", keep["tgt_lang"].to_list(), pl.String),
            pl.Series("tokens", [r[0] for r in good], pl.List(pl.String)),
            pl.Series("tags", [r[1] for r in good], pl.List(pl.String)),
            merge_meta(keep["meta"], "project", [r[2] for r in good]),
        ).drop(["src_lang", "src", "tgt_lang", "tgt", "alignment", col], strict=False)
        rej = batch.filter(~pl.Series(ok)).with_columns(
            pl.Series("reason", [r for r in results if isinstance(r, str)], pl.String))
        return StepResult(rows, rej)

