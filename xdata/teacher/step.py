"""The ``teach`` step: a teacher labels ``tagged`` rows with soft, calibrated labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..errors import ConfigError
from ..pipeline.step import Context, Step, StepResult, merge_meta

SCORES = ("mean", "min")


@dataclass(frozen=True)
class TeachParams:
    teacher: str = ""  # model directory | tagger directory | py:MODULE:NAME (identified by its digest)
    pooling: str = "first"  # subwords -> words for transformers teachers: first | mean
    temperature: float = 1.0  # divides the teacher's log-probabilities (fit with `xdata teacher calibrate`)
    top_k: int = 3  # labels kept per token in meta, with their probabilities
    min_prob: float = 0.0  # a token whose top probability is below this gets reject_label
    reject_label: str = "_"  # "O" for BIO tag sets
    min_score: float = 0.0  # a sentence whose score is below this is rejected (the score is the reason)
    score: str = "mean"  # sentence score from token top probabilities: mean | min
    threads: int = 0
    max_tokens: int = 4096
    max_batch: int = 64


class Teach(Step):
    """Relabel each ``tagged`` row's tokens with a teacher's argmax tags, keeping the soft labels.

    Per token, the teacher's log-probabilities are divided by ``temperature`` and turned into a
    distribution; the tag is its most probable label (``reject_label`` when that probability is
    below ``min_prob``). ``meta.teach`` records, per token, the ``top`` ``top_k`` labels with
    probabilities (``[[label, p], ...]``, most probable first, 6 decimals), the ``entropy`` of the
    whole distribution (nats), the sentence ``score`` (mean or min of the top probabilities), the
    ``relabelled`` token indices, the temperature and the teacher (kind, digest). Rows whose score
    is below ``min_score`` are rejected with the score in the reason. Decisions are made on the
    rounded probabilities the meta records, so a row's meta explains its tags.

    On ``text`` rows the teacher is a sequence-classification model: each text gets a
    ``teacher_label`` column (``reject_label`` below ``min_prob``) and ``meta.teach`` its ``top``
    labels, ``entropy`` and ``score`` (the top probability); ``min_score`` rejects as for tokens.

    The model sees each input block whole (``block_batches``) with one thread by default, so the
    bytes written do not depend on ``--batch-size`` or ``--workers``.
    """

    name = "teach"
    kinds = ("tagged", "text")
    reads = ()
    writes = ("teacher_label",)
    block_batches = True
    Params = TeachParams
    resource_params = ("teacher",)
    runtime_params = ("teacher", "threads", "max_tokens", "max_batch")

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        from . import POOLINGS, teacher_kind

        p = self.params
        teacher_kind(p.teacher)
        if p.pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, got {p.pooling!r}")
        if p.score not in SCORES:
            raise ConfigError(f"score must be one of {', '.join(SCORES)}, got {p.score!r}")
        if not p.temperature > 0:
            raise ConfigError(f"temperature must be positive, got {p.temperature}")
        if p.top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {p.top_k}")
        for name in ("min_prob", "min_score"):
            if not 0.0 <= getattr(p, name) <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(p, name)}")

    def resources(self) -> dict[str, str]:
        from . import teacher_digest

        return {"teacher": teacher_digest(self.params.teacher)}

    def setup(self) -> None:
        from . import load_teacher

        p = self.params
        self._r_teacher = load_teacher(p.teacher, pooling=p.pooling, threads=p.threads, max_tokens=p.max_tokens,
                                       max_batch=p.max_batch)

    def label(self, sentences: list[list[str]]) -> list[tuple[list[str], dict[str, Any]]]:
        """(tags, meta record) per sentence."""
        from . import soft_labels, span_confidences

        self.ensure_ready()
        p = self.params
        t = self._r_teacher
        who = {"kind": t.kind, "digest": t.digest[:16]}
        out = []
        for lp in t.logprobs(sentences):
            _, _, tops, ents = soft_labels(lp, p.temperature, p.top_k)
            confs = [top[0][1] for top in tops]
            tags, relabelled = [], []
            for i, top in enumerate(tops):
                if top[0][1] < p.min_prob:
                    tags.append(p.reject_label)
                    relabelled.append(i)
                else:
                    tags.append(t.labels[top[0][0]])
            score = (min(confs) if p.score == "min" else sum(confs) / len(confs)) if confs else 1.0
            rec = {"teacher": who, "temperature": p.temperature,
                   "top": [[[t.labels[j], q] for j, q in top] for top in tops], "entropy": ents,
                   "score": round(score, 6), "relabelled": relabelled}
            spans = span_confidences(tags, confs)
            if spans is not None:  # BIO labels: each span with the confidence of its least sure token
                rec["spans"] = spans
            out.append((tags, rec))
        return out

    def label_texts(self, texts: list[str]) -> list[tuple[str, dict[str, Any]]]:
        """(label, meta record) per text, from a sequence-classification teacher."""
        from . import soft_labels

        self.ensure_ready()
        p = self.params
        t = self._r_teacher
        if not hasattr(t, "sequence_logprobs"):
            raise ConfigError(f"the teacher {t.kind} labels tokens (tagged rows); text rows need a "
                              "sequence-classification model")
        lp = t.sequence_logprobs(texts)
        _, _, tops, ents = soft_labels(lp, p.temperature, p.top_k)
        who = {"kind": t.kind, "digest": t.digest[:16]}
        out = []
        for top, ent in zip(tops, ents):
            conf = top[0][1]
            out.append((t.labels[top[0][0]] if conf >= p.min_prob else p.reject_label,
                        {"teacher": who, "temperature": p.temperature, "top": [[t.labels[j], q] for j, q in top],
                         "entropy": ent, "score": conf}))
        return out

    def process(self, batch: pl.DataFrame, ctx: Context) -> StepResult:
        p = self.params
        if "tokens" not in batch.columns:  # text rows: one label per text (sequence classification)
            tres = self.label_texts(batch["text"].to_list())
            keep = pl.Series([rec["score"] >= p.min_score for _, rec in tres])
            labelled = batch.with_columns(pl.Series("teacher_label", [r[0] for r in tres], pl.String),
                                          merge_meta(batch["meta"], "teach", [r[1] for r in tres]))
            trej = labelled.filter(~keep).with_columns(pl.Series(
                "reason", [f"teacher score {rec['score']:.4f} below {p.min_score} (top label probability)"
                           for (_, rec), k in zip(tres, keep.to_list()) if not k], pl.String))
            return StepResult(labelled.filter(keep), trej)
        res = self.label([list(x) for x in batch["tokens"].to_list()])
        ok = [rec["score"] >= p.min_score for _, rec in res]
        mask = pl.Series(ok)
        with_labels = batch.with_columns(pl.Series("tags", [r[0] for r in res], pl.List(pl.String)),
                                         merge_meta(batch["meta"], "teach", [r[1] for r in res]))
        rej = with_labels.filter(~mask).with_columns(pl.Series(
            "reason", [f"teacher score {rec['score']:.4f} below {p.min_score} ({p.score} token probability)"
                       for (_, rec), k in zip(res, ok) if not k], pl.String))
        return StepResult(with_labels.filter(mask), rej)


__all__ = ["Teach", "TeachParams"]
