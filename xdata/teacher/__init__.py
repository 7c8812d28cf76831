"""Teachers: models that label the tokens of a high-resource language with label distributions.

A teacher takes a batch of tokenized sentences and returns, for each sentence, an array of
per-word **log-probabilities** over its labels (shape ``(words, labels)``, each row a normalised
distribution in log space). Log-probabilities, not probabilities, because temperature scaling
(:mod:`xdata.teacher.calibration`) divides them by a temperature before the softmax, which is
the same as scaling the logits (a log-softmax differs from the logits by a per-row constant).

Three kinds, picked by :func:`load_teacher` from the spec string:

* ``DIR`` holding ``xdata-tagger.json`` -- xdata's own feature-based tagger
  (:class:`~xdata.teacher.tagger.TaggerTeacher`, trained with ``xdata teacher train``);
* ``py:MODULE:NAME`` -- a user callable (:class:`CallableTeacher`): ``NAME`` takes a list of
  token lists and returns one ``(words, labels)`` array of probabilities per sentence, and has
  a ``labels`` attribute (the label names, in column order);
* any other directory (or a hub name in the local cache) -- a transformers token-classification
  model (:class:`~xdata.teacher.hf.HFTokenTeacher`), subword predictions pooled to words.

Every teacher has a ``digest`` (the content of its weights or source) that goes into the
signature of the step using it, and ``describe()`` for provenance.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError, InputError

POOLINGS = ("first", "mean")
TAGGER_FILE = "xdata-tagger.json"


def log_softmax(x: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise log-softmax of ``x / temperature`` (float64)."""
    z = np.asarray(x, dtype=np.float64) / temperature
    if z.size == 0:
        return z
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def pool_subwords(logits: np.ndarray, word_ids: Sequence[int | None], n_words: int, how: str = "first") -> np.ndarray:
    """Word-level log-probabilities from subword logits.

    ``logits``: ``(subwords, labels)`` for one sentence; ``word_ids[j]`` is the word subword
    ``j`` belongs to (``None`` for special tokens). ``how="first"`` takes the distribution of
    each word's first subword (what token-classification models are usually trained on);
    ``how="mean"`` averages the log-probabilities of all the word's subwords and renormalises
    (a normalised geometric mean of their distributions). A word with no subword (cut off by
    the model's length limit, or a string the tokenizer drops) gets the uniform distribution,
    which a confidence threshold then rejects.
    """
    if how not in POOLINGS:
        raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, got {how!r}")
    n_labels = logits.shape[1]
    lp = log_softmax(logits)
    out = np.full((n_words, n_labels), -np.log(n_labels), dtype=np.float64)
    members: list[list[int]] = [[] for _ in range(n_words)]
    for j, w in enumerate(word_ids):
        if w is not None and 0 <= w < n_words:
            members[w].append(j)
    for w, js in enumerate(members):
        if not js:
            continue
        out[w] = lp[js[0]] if how == "first" else log_softmax(lp[js].mean(axis=0))
    return out


class Teacher:
    """What every teacher offers (see the module doc)."""

    kind: str = ""
    labels: list[str]

    def logprobs(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Per sentence, ``(words, labels)`` log-probabilities."""
        raise NotImplementedError

    @property
    def digest(self) -> str:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": len(self.labels), "digest": self.digest}


class CallableTeacher(Teacher):
    """A Python callable as a teacher: ``fn(sentences) -> [array (words, labels) of probabilities]``.

    Each row must be a distribution (non-negative, summing to 1 within 1e-4); zeros are floored
    at 1e-12 before the logarithm. The digest is that of the callable's module source when it
    can be read, else of its qualified name (pass ``digest=`` to pin it).
    """

    kind = "callable"

    def __init__(self, fn: Callable[[list[list[str]]], Sequence[Any]], labels: Sequence[str], *,
                 name: str | None = None, digest: str | None = None) -> None:
        if not labels:
            raise ConfigError("a callable teacher needs its label names (labels=)")
        self.fn = fn
        self.labels = list(labels)
        self.name = name or f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', type(fn).__name__)}"
        self._digest = digest

    @property
    def digest(self) -> str:
        if self._digest is None:
            try:
                src = inspect.getsource(inspect.getmodule(self.fn) or self.fn)
            except (OSError, TypeError):
                src = ""
            self._digest = hashlib.sha256(f"{self.name}\0{src}\0{self.labels}".encode()).hexdigest()
        return self._digest

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "name": self.name}

    def logprobs(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        sents = [list(s) for s in sentences]
        got = list(self.fn(sents))
        if len(got) != len(sents):
            raise InputError(f"teacher {self.name} returned {len(got)} arrays for {len(sents)} sentences")
        out = []
        for k, (s, p) in enumerate(zip(sents, got)):
            a = np.asarray(p, dtype=np.float64).reshape(len(s), -1) if len(s) == 0 else np.asarray(p, dtype=np.float64)
            if a.shape != (len(s), len(self.labels)):
                raise InputError(f"teacher {self.name}: sentence {k} has {len(s)} tokens and {len(self.labels)} labels, "
                                 f"but the callable returned shape {a.shape}")
            if a.size and (np.any(a < 0) or np.any(np.abs(a.sum(axis=1) - 1.0) > 1e-4)):
                raise InputError(f"teacher {self.name}: sentence {k}: rows must be probabilities summing to 1")
            out.append(np.log(np.maximum(a, 1e-12)))
        return out


def _import_callable(spec: str) -> tuple[Any, str]:
    body = spec[3:]
    mod, _, attr = body.partition(":")
    if not mod or not attr:
        raise ConfigError(f"callable teacher {spec!r}: expected py:MODULE:NAME")
    try:
        obj: Any = importlib.import_module(mod)
    except ImportError as e:
        raise ConfigError(f"callable teacher {spec!r}: cannot import {mod!r} ({e})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"callable teacher {spec!r}: {mod} has no {attr!r}")
        obj = getattr(obj, part)
    return obj, f"{mod}:{attr}"


def teacher_kind(spec: str) -> str:
    """``callable``, ``tagger`` or ``hf``: what :func:`load_teacher` would load for ``spec``."""
    if not spec:
        raise ConfigError("no teacher given: pass a model directory, a tagger directory or py:MODULE:NAME")
    if spec.startswith("py:"):
        return "callable"
    if (Path(spec) / TAGGER_FILE).is_file():
        return "tagger"
    return "hf"


def teacher_digest(spec: str) -> str:
    """The content digest of the teacher ``spec`` names, without loading any weights."""
    kind = teacher_kind(spec)
    if kind == "callable":
        fn, name = _import_callable(spec)
        return CallableTeacher(fn, getattr(fn, "labels", ["?"]), name=name).digest
    from ..models import model_digest, resolve_model_dir

    return model_digest(resolve_model_dir(spec))


def load_teacher(spec: str, *, pooling: str = "first", threads: int = 0, max_tokens: int = 4096,
                 max_batch: int = 64) -> Teacher:
    """The teacher ``spec`` names (see the module doc); ``pooling`` and the batch limits apply to
    transformers models only."""
    if pooling not in POOLINGS:
        raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    kind = teacher_kind(spec)
    if kind == "callable":
        fn, name = _import_callable(spec)
        labels = getattr(fn, "labels", None)
        if not labels:
            raise ConfigError(f"callable teacher {spec!r} has no 'labels' attribute (the label names, in column order)")
        return CallableTeacher(fn, labels, name=name)
    if kind == "tagger":
        from .tagger import TaggerTeacher

        return TaggerTeacher.load(spec)
    from ..models import resolve_model_dir
    from .hf import HFSequenceTeacher, HFTokenTeacher, is_sequence_classifier

    if is_sequence_classifier(resolve_model_dir(spec)):
        return HFSequenceTeacher(spec, threads=threads, max_tokens=max_tokens, max_batch=max_batch)
    return HFTokenTeacher(spec, pooling=pooling, threads=threads, max_tokens=max_tokens, max_batch=max_batch)


def soft_labels(logp: np.ndarray, temperature: float = 1.0, top_k: int = 3,
                digits: int = 6) -> tuple[np.ndarray, np.ndarray, list[list[tuple[int, float]]], list[float]]:
    """For one sentence: (probabilities after temperature, argmax indices, top-k (label index,
    probability) per word, entropy in nats per word). Probabilities and entropies in the top-k
    and entropy lists are rounded to ``digits``; ties in the top-k go to the lower label index."""
    p: np.ndarray = np.exp(log_softmax(logp, temperature)) if logp.size else np.zeros(logp.shape)
    best = p.argmax(axis=1) if p.size else np.zeros(0, dtype=np.int64)
    tops: list[list[tuple[int, float]]] = []
    ents: list[float] = []
    k = max(1, min(top_k, p.shape[-1]))
    for row in p:
        order = np.lexsort((np.arange(len(row)), -row))[:k]
        tops.append([(int(j), round(float(row[j]), digits)) for j in order])
        nz = row[row > 0]
        ents.append(round(float(-(nz * np.log(nz)).sum()), digits))
    return p, best, tops, ents


def span_confidences(tags: Sequence[str], confs: Sequence[float | None]) -> list[list[Any]] | None:
    """For BIO tags, each span as ``[label, start, end, confidence]`` (``end`` inclusive; the
    confidence is the lowest top probability among the span's tokens: a span is as sure as its
    least sure token); None when the tags are not BIO."""
    from ..project import bio_spans, is_bio_labels

    labelled = [t for t in tags if t not in ("_", "")]
    if not labelled or not is_bio_labels(labelled):
        return None
    out: list[list[Any]] = []
    for sp in bio_spans(["O" if t in ("_", "") else t for t in tags]):
        cs = [c for c in confs[sp.start:sp.end + 1] if c is not None]
        out.append([sp.label, sp.start, sp.end, round(min(cs), 6) if cs else 0.0])
    return out


from .step import Teach  # noqa: E402 - needs the functions above

__all__ = ["Teacher", "CallableTeacher", "load_teacher", "teacher_kind", "teacher_digest", "pool_subwords",
           "log_softmax", "soft_labels", "span_confidences", "Teach", "POOLINGS", "TAGGER_FILE"]
