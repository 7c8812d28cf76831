"""Callable teachers for the teacher tests (importable by spawned worker processes as
``py:teacher_callables:NAME``)."""

import hashlib
import math

import numpy as np

LABELS = ["A", "B", "C", "D"]


def _h(word: str, salt: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}\0{word}".encode()).digest()[:8], "big")


def gold_label(word: str) -> str:
    """The synthetic task's true label of a word."""
    return LABELS[_h(word, "gold") % 4]


def overconfident(sentences):
    """Over-confident by a temperature of 3: each word has a calibrated margin ``a`` in [1, 3]
    (probability ``q = e^a / (e^a + 3)`` of its top label) and the top label is right with
    probability ``q`` (a per-word hash decides), but the teacher reports the margin ``3 a``."""
    out = []
    for words in sentences:
        p = np.zeros((len(words), 4))
        for i, w in enumerate(words):
            a = 1.0 + 2.0 * (_h(w, "margin") % 1000) / 1000.0
            q = math.exp(a) / (math.exp(a) + 3)
            g = LABELS.index(gold_label(w))
            right = (_h(w, "right") % 10_000) / 10_000.0 < q
            pred = g if right else (g + 1 + _h(w, "other") % 3) % 4
            logits = np.zeros(4)
            logits[pred] = 3.0 * a
            e = np.exp(logits - logits.max())
            p[i] = e / e.sum()
        out.append(p)
    return out


overconfident.labels = LABELS


def unnormalised(sentences):
    return [np.ones((len(w), 4)) for w in sentences]


unnormalised.labels = LABELS


NER = ["O", "B-PER", "I-PER"]


def names(sentences):
    """A toy name tagger: capitalised words are names (B-PER, then I-PER), sure of it as far as
    the word is long (a 2-letter capitalised word: 0.6; 6+ letters: 0.95); others O (0.9)."""
    out = []
    for words in sentences:
        p = np.zeros((len(words), 3))
        prev_name = False
        for i, w in enumerate(words):
            if w[:1].isupper():
                conf = min(0.95, 0.5 + 0.05 * len(w))
                k = 2 if prev_name else 1
                p[i] = (1 - conf) / 2
                p[i, k] = conf
                prev_name = True
            else:
                p[i] = [0.9, 0.05, 0.05]
                prev_name = False
        out.append(p)
    return out


names.labels = NER
