"""Callable teachers for the teacher tests (importable by spawned worker processes as
``py:teacher_callables:NAME``)."""

import hashlib

import numpy as np

LABELS = ["A", "B", "C", "D"]


def _h(word: str, salt: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}\0{word}".encode()).digest()[:8], "big")


def gold_label(word: str) -> str:
    """The synthetic task's true label of a word."""
    return LABELS[_h(word, "gold") % 4]


def overconfident(sentences):
    """Right on about 70% of words (deterministically per word) yet about 95% sure every time."""
    out = []
    for words in sentences:
        p = np.zeros((len(words), 4))
        for i, w in enumerate(words):
            g = LABELS.index(gold_label(w))
            pred = g if _h(w, "right") % 10 < 7 else (g + 1) % 4
            logits = np.zeros(4)
            logits[pred] = 4.0 + (_h(w, "noise") % 100) / 100.0
            e = np.exp(logits - logits.max())
            p[i] = e / e.sum()
        out.append(p)
    return out


overconfident.labels = LABELS


def unnormalised(sentences):
    return [np.ones((len(w), 4)) for w in sentences]


unnormalised.labels = LABELS
