"""Annotation projection: labels of source tokens carried to target tokens over word alignments.

* :func:`project_tokens` -- token labels (UPOS-like): each target token takes the majority
  label of the source tokens linked to it (ties: the label of the lowest source index);
  unaligned target tokens get ``None`` or a fallback label;
* :func:`project_spans` -- spans (NER in BIO/IOB2): each source span goes to the minimal
  contiguous target span covering the target tokens its tokens link to, with a confidence
  (share of the span's source tokens that are aligned x share of the covered target tokens
  that are linked to the span); spans below a threshold are dropped, overlapping target spans
  keep the more confident one, and the output is always well-formed BIO;
* :func:`project_sentence` -- sentence labels are copied.

Every projected label records the source tokens and links that produced it.
:mod:`xdata.project.tagger` goes past alignment alone: a tagger trained on the projected
labels fills in what projection misses and overrides noisy projections
(:func:`project_conllu` = ``xdata project``). :class:`Project` is the pipeline step (aligned
``pair`` rows with source tags -> ``tagged`` target rows); :func:`evaluate_tags` is
``xdata eval tags``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import ConfigError

Links = Sequence[tuple[int, int]]


@dataclass
class TokenProjection:
    """Result of :func:`project_tokens` for one sentence pair."""

    labels: list[str | None]  # one per target token; None = no label projected
    sources: list[list[int]]  # per target token: the source tokens that voted
    agreement: list[float]  # per target token: share of votes for the winning label (0 if none)


def project_tokens(src_labels: Sequence[str], links: Links, n_tgt: int, *, unaligned: str = "none",
                   fallback: str | None = None, ignore: Sequence[str] = ("_",)) -> TokenProjection:
    """Majority vote over the links into each target token.

    ``unaligned="none"`` leaves unlinked target tokens without a label; ``"fallback"`` gives
    them ``fallback``. Source labels in ``ignore`` do not vote.
    """
    if unaligned not in ("none", "fallback"):
        raise ConfigError(f"unaligned must be 'none' or 'fallback', got {unaligned!r}")
    if unaligned == "fallback" and fallback is None:
        raise ConfigError("unaligned='fallback' needs a fallback label")
    votes: list[list[int]] = [[] for _ in range(n_tgt)]
    for s, t in links:
        if not (0 <= s < len(src_labels) and 0 <= t < n_tgt):
            raise ConfigError(f"link {s}-{t} out of range for {len(src_labels)} source and {n_tgt} target tokens")
        if src_labels[s] not in ignore:
            votes[t].append(s)
    labels: list[str | None] = []
    agree: list[float] = []
    for v in votes:
        if not v:
            labels.append(fallback if unaligned == "fallback" else None)
            agree.append(0.0)
            continue
        counts = Counter(src_labels[s] for s in v)
        best = max(counts.values())
        winner = next(src_labels[s] for s in sorted(v) if counts[src_labels[s]] == best)
        labels.append(winner)
        agree.append(best / len(v))
    return TokenProjection(labels, [sorted(v) for v in votes], agree)


@dataclass
class Span:
    """A labelled token span, inclusive at both ends."""

    label: str
    start: int  # first token (inclusive)
    end: int  # last token (inclusive)


@dataclass
class ProjectedSpan:
    """A source span, the target span it projects to, its confidence and the links used."""

    label: str
    src: Span
    tgt: Span
    confidence: float
    links: list[tuple[int, int]] = field(default_factory=list)


def bio_spans(tags: Sequence[str]) -> list[Span]:
    """Spans of a BIO/IOB2 sequence. An ``I-X`` that does not continue an ``X`` span starts one
    (the usual lenient reading, as seqeval's default)."""
    spans: list[Span] = []
    cur: Span | None = None
    for i, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (cur is None or cur.label != tag[2:])):
            if cur:
                spans.append(cur)
            cur = Span(tag[2:], i, i)
        elif tag.startswith("I-") and cur is not None:
            cur.end = i
        else:
            if cur:
                spans.append(cur)
            cur = None
    if cur:
        spans.append(cur)
    return spans


def spans_to_bio(spans: Sequence[Span], n: int) -> list[str]:
    """BIO tags of ``n`` tokens holding non-overlapping ``spans``."""
    tags = ["O"] * n
    for sp in spans:
        tags[sp.start] = f"B-{sp.label}"
        for i in range(sp.start + 1, sp.end + 1):
            tags[i] = f"I-{sp.label}"
    return tags


def project_spans(src_tags: Sequence[str], links: Links, n_tgt: int, *,
                  min_confidence: float = 0.0) -> tuple[list[str], list[ProjectedSpan], list[tuple[Span, str]]]:
    """Project BIO spans; returns (target BIO tags, kept spans, dropped source spans with reasons).

    A source span's target is the minimal contiguous span covering every target token linked
    to its tokens, whatever the order of the links (crossing links still give one span).
    Confidence = (aligned source tokens / span length) x (linked target tokens / target span
    length): a discontinuous target (a gap of tokens not linked to the span) lowers it.
    Overlapping target spans: the more confident wins (ties: the earlier source span).
    """
    by_src: dict[int, list[int]] = {}
    for s, t in links:
        if not (0 <= s < len(src_tags) and 0 <= t < n_tgt):
            raise ConfigError(f"link {s}-{t} out of range for {len(src_tags)} source and {n_tgt} target tokens")
        by_src.setdefault(s, []).append(t)
    cands: list[ProjectedSpan] = []
    dropped: list[tuple[Span, str]] = []
    for sp in bio_spans(src_tags):
        toks = range(sp.start, sp.end + 1)
        tgt = sorted({t for s in toks for t in by_src.get(s, [])})
        if not tgt:
            dropped.append((sp, "no aligned target token"))
            continue
        aligned_src = sum(1 for s in toks if by_src.get(s))
        width = tgt[-1] - tgt[0] + 1
        conf = (aligned_src / len(toks)) * (len(tgt) / width)
        used = sorted((s, t) for s in toks for t in by_src.get(s, []))
        cands.append(ProjectedSpan(sp.label, sp, Span(sp.label, tgt[0], tgt[-1]), round(conf, 4), used))
    kept: list[ProjectedSpan] = []
    taken = [False] * n_tgt
    for c in sorted(cands, key=lambda c: (-c.confidence, c.src.start)):
        if c.confidence < min_confidence:
            dropped.append((c.src, f"confidence {c.confidence:.2f} below {min_confidence}"))
            continue
        if any(taken[c.tgt.start:c.tgt.end + 1]):
            dropped.append((c.src, "target overlaps a more confident span"))
            continue
        for i in range(c.tgt.start, c.tgt.end + 1):
            taken[i] = True
        kept.append(c)
    kept.sort(key=lambda c: c.tgt.start)
    return spans_to_bio([c.tgt for c in kept], n_tgt), kept, dropped


def project_sentence(label: str) -> str:
    """Sentence-level labels (topic, sentiment, ...) carry over unchanged."""
    return label


def is_bio(tags: Sequence[str]) -> bool:
    """Well-formed IOB2: every ``I-X`` continues a ``B-X`` or ``I-X``."""
    prev = "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            return False
        if not (t == "O" or t.startswith(("B-", "I-"))):
            return False
        prev = t
    return True


def is_bio_labels(labels: Sequence[str]) -> bool:
    """True when the labels read as BIO/IOB2: every value (``_`` and empty ignored) is ``O``,
    ``B-X`` or ``I-X``, and at least one is not ``O``."""
    seen = False
    for lab in labels:
        if lab in ("_", "", "O"):
            continue
        if not lab.startswith(("B-", "I-")) or len(lab) < 3:
            return False
        seen = True
    return seen


from .conllu import evaluate_tags, project_conllu  # noqa: E402 - needs the functions above
from .step import Project  # noqa: E402

__all__ = ["project_tokens", "project_conllu", "evaluate_tags", "Project", "is_bio_labels",
           "project_spans", "project_sentence", "bio_spans", "spans_to_bio", "is_bio",
           "TokenProjection", "ProjectedSpan", "Span"]


from .._callable import make_callable  # noqa: E402

make_callable(__name__)  # xdata.project(...) runs the verb (xdata.api)
