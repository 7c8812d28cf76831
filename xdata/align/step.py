"""Alignment as pipeline steps: :class:`Align` adds word links to ``pair`` rows and
:class:`AlignmentFilter` drops pairs that align badly.

A pipeline step sees one batch at a time, and its output must not depend on how rows are
batched, so :class:`Align` never trains: it aligns with a fixed model, either a saved built-in
aligner (``xdata align --method builtin --save-model DIR`` on a large corpus; see
:class:`xdata.align.hmm.HMMAligner`) or a transformers encoder (the neural aligner, one pair at
a time). eflomal trains on whatever it is given and has no seed, so it is not offered here; use
``xdata align`` for corpus-level eflomal runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import ConfigError, InputError
from ..pipeline import Context, FilterStep, MapStep
from .links import HEURISTICS, format_links

TOKENIZATIONS = ("whitespace", "words", "columns")


@dataclass(frozen=True)
class AlignParams:
    model_dir: str = ""  # a saved builtin aligner (xdata align --save-model DIR)
    model: str = ""  # or a transformers encoder for the neural aligner (directory or hub name)
    layer: int = 8  # neural: hidden layer
    matching: str = "itermax"  # neural: argmax | itermax
    sym: str = "grow-diag-final-and"  # builtin: symmetrization
    tokenize: str = "whitespace"  # whitespace | words (xdata.tokenize) | columns (src_tokens/tgt_tokens)
    threads: int = 1  # neural: torch threads per worker (0: torch's default); the executor runs a worker per core
    view: str = ""  # alignment tokens (xdata.align.view): "" = the saved aligner's own (neural: none); else must match


class Align(MapStep):
    """Word links (``alignment``: ``i-j`` 0-based, source first) and ``align_score`` per pair.

    ``align_score`` is the agreement of the two directions (builtin) or the mean best cosine
    similarity of linked words (neural), in [0, 1]. Indices refer to the tokens chosen by
    ``tokenize``: whitespace-split text, xdata's word tokenizer, or the ``src_tokens`` /
    ``tgt_tokens`` columns of a previous :class:`xdata.tokenize.step.Tokenize`.

    A saved builtin aligner sees the words through the token view it was trained with
    (:mod:`xdata.align.view`; ``xdata align --save-model`` trains on ``stem`` by default); ``view``
    may name it (an error if it differs), and ``resources()`` records it with the aligner's digest
    (which covers it). The neural aligner embeds the words as given (``view`` ``""`` or ``none``).
    """

    name = "align"
    kinds = ("pair",)
    reads = ("src", "tgt")
    writes = ("alignment", "align_score")
    Params = AlignParams
    # the saved aligner is identified by its digest in resources(); threads change speed, not links
    resource_params = ("model_dir", "model")
    runtime_params = ("model_dir", "model", "threads")  # both identified in resources()

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        p = self.params
        if bool(p.model_dir) == bool(p.model):
            raise ConfigError("align needs exactly one of model_dir= (a saved builtin aligner, see "
                              "`xdata align --save-model`) or model= (a transformers encoder)")
        if p.sym not in HEURISTICS:
            raise ConfigError(f"unknown symmetrization {p.sym!r}; expected one of {', '.join(HEURISTICS)}")
        if p.tokenize not in TOKENIZATIONS:
            raise ConfigError(f"unknown tokenize={p.tokenize!r}; expected one of {', '.join(TOKENIZATIONS)}")
        if p.threads < 0:
            raise ConfigError(f"threads must be >= 0 (0: torch's default), got {p.threads}")
        if p.matching not in ("argmax", "itermax"):
            raise ConfigError(f"unknown matching {p.matching!r}; expected argmax or itermax")
        if p.tokenize == "columns":  # checked when the pipeline is validated, before data moves
            self.reads = ("src", "tgt", "src_tokens", "tgt_tokens")  # type: ignore[misc,assignment]  # this instance reads more
        if p.model_dir and not (Path(p.model_dir) / "model.json").exists():
            raise InputError("not a saved xdata aligner (no model.json); expected a directory written by "
                             "`xdata align --method builtin --save-model`", path=p.model_dir)
        if p.view:
            from .view import get_view

            asked = get_view(p.view).spec
            own = self._model_view() if p.model_dir else "none"
            if asked != get_view(own).spec:
                raise ConfigError(f"align view={p.view!r}, but the {'saved aligner was trained on' if p.model_dir else 'neural aligner embeds'} "
                                  f"{own!r}: leave view unset or pass view={own!r}")

    def _model_view(self) -> str:
        meta = json.loads((Path(self.params.model_dir) / "model.json").read_text(encoding="utf-8"))
        return str(meta.get("view", "none"))

    def resources(self) -> dict[str, str]:
        p = self.params
        if p.model_dir:
            from .view import get_view

            meta = json.loads((Path(p.model_dir) / "model.json").read_text(encoding="utf-8"))
            return {"aligner": meta["digest"], "view": get_view(meta.get("view", "none")).spec}
        if Path(p.model).exists():
            from ..models import model_digest

            return {"encoder": model_digest(Path(p.model))}
        return {"encoder": f"hub:{p.model}"}

    def setup(self) -> None:
        from .aligners import make_aligner

        p = self.params
        if p.model and p.threads:
            # One worker per core already: torch's own thread pool on top of it oversubscribes
            # the cores, which made a small encoder 40x slower on a loaded 2-core machine.
            import torch

            torch.set_num_threads(p.threads)
        if p.model_dir:
            self._r_aligner = make_aligner("builtin", load_model=p.model_dir)
        else:
            self._r_aligner = make_aligner("neural", model=p.model, layer=p.layer, matching=p.matching)

    def _tokens(self, batch: pl.DataFrame) -> tuple[list[list[str]], list[list[str]]]:
        mode = self.params.tokenize
        if mode == "columns":
            missing = [c for c in ("src_tokens", "tgt_tokens") if c not in batch.columns]
            if missing:
                raise ConfigError(f"align tokenize='columns' needs {', '.join(missing)}: run Tokenize() first")
            return ([list(x or []) for x in batch["src_tokens"].to_list()],
                    [list(x or []) for x in batch["tgt_tokens"].to_list()])
        if mode == "words":
            from ..tokenize import word_tokenize

            return ([word_tokenize(t, lg) if t else [] for t, lg in zip(batch["src"].to_list(), batch["src_lang"].to_list())],
                    [word_tokenize(t, lg) if t else [] for t, lg in zip(batch["tgt"].to_list(), batch["tgt_lang"].to_list())])
        # a missing side (null) aligns like an empty one: no links, score 0
        return [(t or "").split() for t in batch["src"].to_list()], [(t or "").split() for t in batch["tgt"].to_list()]

    def map(self, batch: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        src, tgt = self._tokens(batch)
        if self._r_aligner.capabilities.trainable and self.params.model_dir:
            res = self._r_aligner.align(src, tgt, sym=self.params.sym)  # a saved aligner: each pair on its own
            links, scores = res.links, res.scores
        else:
            links, scores = [], []
            for s, t in zip(src, tgt):  # one pair at a time: padding never changes another pair's vectors
                one = self._r_aligner.align([s], [t])
                links.append(one.links[0])
                scores.append(one.scores[0])
        return batch.with_columns(pl.Series("alignment", [format_links(x) for x in links], pl.String),
                                  pl.Series("align_score", scores, pl.Float64))


@dataclass(frozen=True)
class AlignmentFilterParams:
    min_score: float = 0.5


class AlignmentFilter(FilterStep):
    """Keep pairs whose ``align_score`` (from :class:`Align`) reaches ``min_score``."""

    name = "alignment-filter"
    kinds = ("pair",)
    reads = ("align_score",)
    Params = AlignmentFilterParams

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        if not 0.0 <= self.params.min_score <= 1.0:
            raise ConfigError(f"min_score must be in [0, 1], got {self.params.min_score}")

    def accept(self, scored: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        s = scored["align_score"]
        keep = s >= self.params.min_score
        reason = pl.Series([f"alignment score {x:.3f} below {self.params.min_score}" if x is not None
                            else "no alignment score" for x in s.to_list()], dtype=pl.String)
        return keep, reason


__all__ = ["Align", "AlignmentFilter"]
