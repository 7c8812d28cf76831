"""Teacher -> alignment -> projection: soft pseudo-labels for the target side of a parallel corpus
(or, for target text and a multilingual teacher, the teacher's soft labels on the text itself).

:class:`PseudolabelSource` reads pair rows (a TSV, a parallel source or a dataset version), has
the teacher label the source side (per-word label distributions, after ``temperature``), aligns
the whole corpus, and gives ``tagged`` target rows whose per-token distributions are combined
from the source words linked to them (:func:`project_soft`). Alignment needs the whole corpus,
so this is a source (as :class:`xdata.project.source.ProjectionSource`), not a row step.

The combination rule, for a target word ``j`` linked to source words ``S_j``: its distribution
is the mean of the distributions of the words in ``S_j`` (each link weighs the same, so two
confident source words that agree stay confident, and two that disagree split the mass). A
target word with no link gets no label (``unlabelled``, default ``_``) and no distribution. Its
tag is the argmax; ``min_prob`` relabels a word whose top probability is below it as
``unlabelled``; ``min_score`` rejects a sentence whose mean top probability over its labelled
words is below it (the reason carries the score). ``meta.pseudolabel`` records per target word
the ``top`` ``top_k`` labels with probabilities (``[[label, p], ...]``, as the ``teach`` step),
the source words it came ``from``, the sentence ``score``, the temperature and the teacher.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import polars as pl

from ..align.aligners import REVISION as ALIGNER_REVISION
from ..errors import ConfigError
from ..hashing import canonical_json, digest_value
from ..io.readers import DatasetSource, Source, SourceBatch, open_source
from ..records import REJECT_SCHEMA


def project_soft(dists: np.ndarray, links: Sequence[tuple[int, int]], n_tgt: int) -> tuple[np.ndarray, list[list[int]]]:
    """Per target word, the mean of the label distributions of the source words linked to it.

    ``dists``: ``(source words, labels)`` probabilities; ``links``: (source, target) word pairs.
    Returns ``(n_tgt, labels)`` (a row of zeros for an unlinked word) and, per target word, its
    source words in order."""
    out = np.zeros((n_tgt, dists.shape[1] if dists.ndim == 2 else 0), dtype=np.float64)
    frm: list[list[int]] = [[] for _ in range(n_tgt)]
    for s, t in sorted(set(links)):
        if 0 <= s < len(dists) and 0 <= t < n_tgt:
            frm[t].append(s)
    for t, ss in enumerate(frm):
        if ss:
            out[t] = dists[ss].mean(axis=0)
    return out, frm


class PseudolabelSource(Source):
    """Soft pseudo-labels for the target side of ``pairs`` (see the module doc)."""

    kind = "tagged"
    size_unit = "rows"

    def __init__(self, pairs: Any, teacher: str, *, temperature: float = 1.0, top_k: int = 3, min_prob: float = 0.0,
                 min_score: float = 0.0, unlabelled: str = "_", method: str = "builtin",
                 sym: str = "grow-diag-final-and", src_lang: str | None = None, tgt_lang: str | None = None,
                 name: str | None = None) -> None:
        from . import teacher_digest

        self.pairs = pairs if isinstance(pairs, Source) else (
            DatasetSource(pairs) if Path(pairs).is_dir() else open_source(pairs, lang=src_lang, tgt_lang=tgt_lang))
        if self.pairs.kind not in ("pair", "text"):
            raise ConfigError(f"pseudo-labelling reads sentence pairs (or target text for a multilingual teacher); "
                              f"{getattr(pairs, 'name', pairs)} holds {self.pairs.kind} rows")
        if not temperature > 0:
            raise ConfigError(f"temperature must be positive, got {temperature}")
        if top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {top_k}")
        self.teacher = teacher
        self.teacher_digest = teacher_digest(teacher)
        self.temperature, self.top_k, self.min_prob, self.min_score = temperature, top_k, min_prob, min_score
        self.unlabelled, self.method, self.sym = unlabelled, method, sym
        self.name = name or f"{self.pairs.name}-pseudolabel"
        self.on_error = "reject"

    def paths(self) -> list[str]:
        return self.pairs.paths()

    def digest(self) -> str:
        return digest_value([self.pairs.content_digest(), self.teacher_digest], 64)

    def read_params(self) -> dict[str, Any]:
        return {"pairs": self.pairs.describe(), "teacher": self.teacher_digest, "temperature": self.temperature,
                "top_k": self.top_k, "min_prob": self.min_prob, "min_score": self.min_score,
                "unlabelled": self.unlabelled, "method": self.method, "sym": self.sym,
                "aligner_revision": ALIGNER_REVISION}

    def chunks(self, rows: int) -> Iterator[SourceBatch]:
        from ..align import align_corpus
        from . import load_teacher, soft_labels, span_confidences

        frames = [b.rows for b in self.pairs.batches(10_000)]
        df = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
        if df.height == 0:
            return
        direct = self.pairs.kind == "text"  # target text, labelled by a multilingual teacher as it is
        src = [s.split() for s in df["text" if direct else "src"].to_list()]
        tgt = src if direct else [t.split() for t in df["tgt"].to_list()]
        teacher = load_teacher(self.teacher)
        logps = teacher.logprobs(src)
        if direct:
            links = [[(j, j) for j in range(len(s))] for s in src]
            view = None
        else:
            aligned = align_corpus(src, tgt, method=self.method, sym=self.sym)
            links, view = aligned.links, aligned.view
        version = self.pairs.version()
        metas_in = df["_meta"].to_list() if "_meta" in df.columns else [None] * df.height
        out_rows: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        who: dict[str, Any] = ({"teacher": teacher.describe(), "temperature": self.temperature, "direct": True}
                               if direct else {"teacher": teacher.describe(), "temperature": self.temperature,
                                               "method": self.method, "view": view})
        for i, (t_toks, lp, ln) in enumerate(zip(tgt, logps, links)):
            row = int(df["src_row"][i])
            probs, _, _, _ = soft_labels(lp, self.temperature, self.top_k)
            combined, frm = project_soft(probs, sorted(ln), len(t_toks))
            tags: list[str] = []
            tops: list[list[list[Any]]] = []
            confs: list[float] = []
            for j in range(len(t_toks)):
                if not frm[j]:
                    tags.append(self.unlabelled)
                    tops.append([])
                    continue
                order = np.lexsort((np.arange(combined.shape[1]), -combined[j]))[:self.top_k]
                best, conf = teacher.labels[int(order[0])], round(float(combined[j, order[0]]), 6)
                tops.append([[teacher.labels[int(k)], round(float(combined[j, k]), 6)] for k in order])
                confs.append(conf)
                tags.append(best if conf >= self.min_prob else self.unlabelled)
            score = round(sum(confs) / len(confs), 6) if confs else 0.0
            meta_in = json.loads(metas_in[i] or "{}")
            root = meta_in.get("root") or f"{version}:{row}"
            rec = {**who, "top": tops, "score": score} if direct else {**who, "top": tops, "from": frm, "score": score}
            spans = span_confidences(tags, [t[0][1] if t else None for t in tops])
            if spans is not None:
                rec["spans"] = spans
            if score < self.min_score:
                rejects.append({"id": None, "step": "pseudolabel", "src_dataset": self.pairs.name, "src_row": row,
                                "reason": f"pseudo-label score {score:.4f} below {self.min_score} (mean top probability)",
                                "record": json.dumps({"tokens": t_toks, "tags": tags}, ensure_ascii=False)})
                continue
            out_rows.append({"lang": df["lang" if direct else "tgt_lang"][i], "tokens": t_toks, "tags": tags, "src_row": row,
                             "_meta": canonical_json({**meta_in, "root": root, "pseudolabel": rec})})
        schema: dict[str, Any] = {"lang": pl.String, "tokens": pl.List(pl.String), "tags": pl.List(pl.String),
                                  "src_row": pl.Int64, "_meta": pl.String}
        frame = pl.DataFrame(out_rows, schema=schema)
        rej = pl.DataFrame(rejects, schema=REJECT_SCHEMA) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
        for start in range(0, max(frame.height, 1), rows):
            yield SourceBatch(frame.slice(start, rows), rej if start == 0 else pl.DataFrame(schema=REJECT_SCHEMA))


__all__ = ["PseudolabelSource", "project_soft"]
