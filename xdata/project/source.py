"""Projected labels as a source: a parallel corpus of two CoNLL-U files in, ``tagged`` target rows out.

Alignment and the tagger that fills what links miss need the whole corpus, so projection is a
source (one pass over the corpus, :func:`xdata.project.project_conllu`) rather than a row step.
Each target sentence's **root** (``xdata.mix``) is the *source* sentence it was projected from
(``SRCDIGEST:SENTENCE``), the root every other row made from that source sentence has (a
code-switched copy of it read with ``ConlluSource``): a split by root keeps a sentence and its
projection on the same side.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from ..align.aligners import REVISION as ALIGNER_REVISION
from ..hashing import INPUT_DIGEST, canonical_json
from ..io.files import input_digest
from ..io.readers import ConlluSource, Source, SourceBatch
from ..langs import parse_lang
from .tagger import REVISION as RETAG_REVISION


class ProjectionSource(Source):
    """``field`` of ``src`` (CoNLL-U, sentence-parallel with ``tgt``) projected onto ``tgt``'s tokens.

    ``method`` is the aligner (``builtin`` is deterministic; ``auto`` takes eflomal when installed,
    which samples), ``lexicon`` a bilingual lexicon used as alignment priors, ``view`` the aligner's
    token view (:mod:`xdata.align.view`, recorded in the read parameters); the other options are
    those of ``xdata project``. Rows: ``lang`` = ``tgt_lang``, the target tokens, the projected tags
    (``_`` where nothing was projected); ``meta`` records the root and how each label was chosen.
    """

    kind = "tagged"
    size_unit = "rows"

    def __init__(self, src: str | Path, tgt: str | Path, field: str = "upos", *, src_lang: str, tgt_lang: str,
                 method: str = "builtin", lexicon: str | Path | None = None, mode: str = "auto", retag: bool = True,
                 seed: int = 0, name: str | None = None, view: str = "stem") -> None:
        from ..align.view import get_view
        from . import conllu as _c

        self.view = get_view(view).name
        self.src, self.tgt = str(src), str(tgt)
        self.field = _c.resolve_field(field)
        self.src_lang, self.tgt_lang = parse_lang(src_lang), parse_lang(tgt_lang)
        self.method, self.mode, self.retag, self.proj_seed = method, mode, retag, seed
        self.lexicon = str(lexicon) if lexicon else None
        self.name = name or f"{Path(self.tgt).stem}-projected"
        self.on_error = "raise"
        for p in self.paths():
            if not Path(p).is_file():
                from ..errors import InputError

                raise InputError("file not found", path=p)

    def paths(self) -> list[str]:
        return [self.src, self.tgt] + ([self.lexicon] if self.lexicon else [])

    def digest(self) -> str:
        return input_digest(self.paths(), INPUT_DIGEST)

    def read_params(self) -> dict[str, Any]:
        from ..align.view import get_view

        # the view's spec: a sentencepiece model by its content, a stemmer by its version
        return {"field": self.field, "src_lang": self.src_lang, "tgt_lang": self.tgt_lang, "method": self.method,
                "mode": self.mode, "retag": self.retag, "seed": self.proj_seed, "lexicon": bool(self.lexicon),
                "view": get_view(self.view).spec, "aligner_revision": ALIGNER_REVISION, "retag_revision": RETAG_REVISION}

    def chunks(self, rows: int) -> Iterator[SourceBatch]:
        from . import project_conllu

        src_version = input_digest([self.src], INPUT_DIGEST)[:12]
        with tempfile.TemporaryDirectory(prefix="xdata-projection-") as tmp:
            out = Path(tmp) / "projected.conllu"
            rep = project_conllu(self.src, self.tgt, out, self.field, method=self.method, lexicon=self.lexicon,
                                 mode=self.mode, retag=self.retag, seed=self.proj_seed, view=self.view)
            how = {"method": rep.method, "mode": rep.mode, "field": rep.field, "view": rep.view}
            for b in ConlluSource(out, self.tgt_lang, field=self.field, name=self.name).batches(rows):
                df = b.rows
                old = df["_meta"].to_list() if "_meta" in df.columns else [None] * df.height
                meta = [canonical_json({**json.loads(m or "{}"), "root": f"{src_version}:{i}", "project": how})
                        for i, m in zip(df["src_row"].to_list(), old)]
                yield SourceBatch(df.with_columns(pl.Series("_meta", meta, pl.String)), b.rejects)


__all__ = ["ProjectionSource"]
