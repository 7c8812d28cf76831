"""Teachers and CoNLL-U files: training the built-in tagger, calibrating on a dev set, labelling.

Probabilities reach ``xdata eval tags`` through the predicted file's MISC column: a labelled
token carries ``TagProb=0.9134`` (:data:`PROB_KEY`), the teacher's probability of the tag it
wrote (after temperature scaling). That is all the top-label calibration error needs; the full
top-k distributions live in the ``teach`` meta of ``tagged`` rows (:class:`xdata.teacher.Teach`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError, InputError
from ..project.conllu import PROB_KEY
from . import Teacher, log_softmax
from .calibration import calibration_report, fit_temperature


def read_conllu_tags(path: str | Path, field: str = "upos") -> tuple[list[list[str]], list[list[str]], Any]:
    """(word forms, values of ``field``, the parsed document) per sentence."""
    from ..project.conllu import ConlluDoc, _get, resolve_field

    fld = resolve_field(field)
    doc = ConlluDoc.read(path)
    words = [doc.words(k) for k in range(len(doc.sentences))]
    return [[w["form"] for w in ws] for ws in words], [[_get(w, fld) for w in ws] for ws in words], doc


def train_tagger_conllu(path: str | Path, out: str | Path, *, field: str = "upos", epochs: int = 30,
                        sentences: slice | None = None) -> Any:
    """Train the built-in tagger teacher on the gold ``field`` of a CoNLL-U file (optionally a
    ``slice`` of its sentences) and save it to ``out``."""
    from .tagger import TaggerTeacher

    forms, tags, _ = read_conllu_tags(path, field)
    if sentences is not None:
        forms, tags = forms[sentences], tags[sentences]
    t = TaggerTeacher.train(forms, tags, epochs=epochs)
    t.save(out)
    return t


def dev_arrays(teacher: Teacher, forms: list[list[str]], tags: list[list[str]],
               batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Stacked log-probabilities and gold label indices (-1: not a teacher label) of the gold-labelled tokens."""
    index = {lab: j for j, lab in enumerate(teacher.labels)}
    rows: list[np.ndarray] = []
    gold: list[int] = []
    for c in range(0, len(forms), batch):
        for lp, ts in zip(teacher.logprobs(forms[c:c + batch]), tags[c:c + batch]):
            keep = [i for i, t in enumerate(ts) if t not in ("_", "")]
            rows.append(lp[keep])
            gold += [index.get(ts[i], -1) for i in keep]
    if not gold:
        raise InputError("the dev set has no gold-labelled token")
    return np.concatenate(rows), np.asarray(gold, dtype=np.int64)


def _sentence_dev_arrays(teacher: Teacher, path: str | Path, key: str,
                         sentences: slice | None) -> tuple[np.ndarray, np.ndarray]:
    """A sequence teacher's log-probabilities for each sentence's ``# text`` and the gold index of
    its ``# KEY = value`` label (-1: a label the teacher does not know), for sentences that have both."""
    from ..project.conllu import ConlluDoc

    if not hasattr(teacher, "sequence_logprobs"):
        raise ConfigError(f"field meta:{key} is a sentence label: calibrating it needs a sequence-classification "
                          "teacher")
    doc = ConlluDoc.read(path)
    texts, labels = [], []
    for sent in doc.sentences[sentences] if sentences is not None else doc.sentences:
        md = sent.metadata
        if md.get(key) and md.get("text"):
            texts.append(md["text"])
            labels.append(md[key])
    if not texts:
        raise InputError(f"no sentence has both '# text' and '# {key}' comments", path=path)
    index = {lab: j for j, lab in enumerate(teacher.labels)}
    return teacher.sequence_logprobs(texts), np.asarray([index.get(x, -1) for x in labels], dtype=np.int64)


def calibrate_conllu(teacher: Teacher, dev: str | Path | Sequence[tuple[str, str | Path]], *, field: str = "upos",
                     n_bins: int = 15, sentences: slice | None = None) -> dict[str, Any]:
    """Fit the temperature on the gold ``field`` of CoNLL-U dev data; the report of
    :func:`xdata.teacher.calibration.calibration_report` (``temperature`` is the fitted one).

    ``dev`` is a file, or ``(language, file)`` pairs: one temperature is fitted on all their tokens
    and ``per_language`` gives, per language, its tokens and accuracy, ECE, NLL and confidence
    before and after (a multilingual teacher may be calibrated well on one language and not on
    another)."""
    from .calibration import _log_softmax, _summary

    devs = [(Path(dev).stem, dev)] if isinstance(dev, (str, Path)) else list(dev)
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []
    for lang, path in devs:
        if field.startswith("meta:"):  # sentence labels (``# KEY = value``) for a sequence teacher
            lp, g = _sentence_dev_arrays(teacher, path, field[5:], sentences)
        else:
            forms, tags, _ = read_conllu_tags(path, field)
            if sentences is not None:
                forms, tags = forms[sentences], tags[sentences]
            lp, g = dev_arrays(teacher, forms, tags)
        parts.append((lang, lp, g))
    logp = np.concatenate([p[1] for p in parts])
    gold = np.concatenate([p[2] for p in parts])
    t = fit_temperature(logp, gold)
    report = calibration_report(logp, gold, teacher.labels, t, n_bins=n_bins)
    if len(parts) > 1:
        report["per_language"] = {
            lang: {"tokens": int(len(g)),
                   "before": _summary(np.exp(_log_softmax(lp, 1.0)), g, lp, 1.0, n_bins),
                   "after": _summary(np.exp(_log_softmax(lp, t)), g, lp, t, n_bins)}
            for lang, lp, g in parts}
    return report


def label_conllu(teacher: Teacher, src: str | Path, out: str | Path, *, field: str = "upos",
                 temperature: float = 1.0, batch: int = 256) -> int:
    """Write ``src`` with ``field`` replaced by the teacher's tags and MISC ``TagProb`` (see the
    module doc); returns the number of tokens labelled."""
    from ..project.conllu import _add_misc, _set, _write, resolve_field

    fld = resolve_field(field)
    forms, _, doc = read_conllu_tags(src, field)
    n = 0
    for c in range(0, len(forms), batch):
        for k, lp in enumerate(teacher.logprobs(forms[c:c + batch]), start=c):
            p = np.exp(log_softmax(lp, temperature))
            for w, row in zip(doc.words(k), p):
                j = int(row.argmax())
                _set(w, fld, teacher.labels[j])
                _add_misc(w, **{PROB_KEY: f"{row[j]:.4f}"})
                n += 1
    _write(doc, out)
    return n


__all__ = ["PROB_KEY", "read_conllu_tags", "train_tagger_conllu", "calibrate_conllu", "label_conllu", "dev_arrays"]
