"""xdata's own feature-based tagger (:class:`xdata.project.tagger.SoftmaxTagger`) as a teacher.

Trained on a labelled corpus (gold CoNLL-U of the high-resource language, ``xdata teacher
train``) with the same features projection's retagger uses, including the type evidence (the
distribution of labels over each word type in the training corpus). Saved as a directory:
``xdata-tagger.json`` (labels, feature hashing size, type evidence) and ``weights.npz`` (the
non-zero rows of the weight matrix), whose digest identifies the teacher.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError, InputError
from ..project.tagger import SoftmaxTagger, token_features, type_distributions
from . import TAGGER_FILE, Teacher, log_softmax

FORMAT = 1


class TaggerTeacher(Teacher):
    kind = "tagger"

    def __init__(self, model: SoftmaxTagger, types: dict[str, Counter[str]], directory: Path | None = None) -> None:
        self.model = model
        self.types = types
        self.labels = list(model.labels)
        self.dir = directory

    @classmethod
    def train(cls, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], *, epochs: int = 30,
              ignore: Sequence[str] = ("_", "")) -> "TaggerTeacher":
        """Train on gold ``tags`` (tokens whose tag is in ``ignore`` are not learnt from)."""
        labs: list[list[str | None]] = [[None if t in ignore else t for t in ts] for ts in tags]
        for k, (s, t) in enumerate(zip(sentences, labs)):
            if len(s) != len(t):
                raise InputError(f"sentence {k}: {len(s)} tokens but {len(t)} tags")
        labels = sorted({t for ts in labs for t in ts if t is not None})
        if not labels:
            raise InputError("no labelled token to train a tagger on")
        index = {lab: j for j, lab in enumerate(labels)}
        types = type_distributions(sentences, labs)
        feats, rows = [], []
        for words, row in zip(sentences, labs):
            for i, lab in enumerate(row):
                if lab is not None:
                    feats.append(token_features(words, i, types))
                    rows.append(index[lab])
        targets = np.zeros((len(rows), len(labels)), dtype=np.float32)
        targets[np.arange(len(rows)), rows] = 1.0
        return cls(SoftmaxTagger.train(feats, targets, labels, epochs=epochs), types)

    def save(self, directory: str | Path) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        w = self.model.weights
        nz = np.flatnonzero(np.any(w != 0, axis=1))
        np.savez(out / "weights.npz", rows=nz.astype(np.int64), values=w[nz])
        # A type's labels keep their first-seen order: the features break ties between equally
        # frequent labels by it, so a loaded teacher predicts exactly what the trained one did.
        meta = {"format": FORMAT, "kind": "xdata-softmax-tagger", "labels": self.labels,
                "n_buckets": self.model.n_buckets,
                "types": {t: dict(self.types[t]) for t in sorted(self.types)}}
        (out / TAGGER_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        self.dir = out
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "TaggerTeacher":
        d = Path(directory)
        try:
            meta = json.loads((d / TAGGER_FILE).read_text(encoding="utf-8"))
            arrays = np.load(d / "weights.npz")
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot read the tagger teacher in {d.name!r}: {e}") from None
        if meta.get("format") != FORMAT:
            raise ConfigError(f"{d.name}: tagger format {meta.get('format')!r}, this xdata reads {FORMAT}")
        w = np.zeros((int(meta["n_buckets"]), len(meta["labels"])), dtype=np.float32)
        w[arrays["rows"]] = arrays["values"]
        types = {t: Counter(c) for t, c in meta["types"].items()}
        return cls(SoftmaxTagger(list(meta["labels"]), w, int(meta["n_buckets"])), types, d)

    @property
    def digest(self) -> str:
        if self.dir is None:
            raise ConfigError("save the tagger teacher (save(DIR)) before asking its digest")
        from ..models import model_digest

        return model_digest(self.dir)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": len(self.labels), "digest": self.digest if self.dir else None}

    def logprobs(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        feats = [token_features(s, i, self.types) for s in sentences for i in range(len(s))]
        if not feats:
            return [np.zeros((0, len(self.labels))) for _ in sentences]
        lp = log_softmax(self.model.logits(feats))
        out, pos = [], 0
        for s in sentences:
            out.append(lp[pos:pos + len(s)])
            pos += len(s)
        return out


__all__ = ["TaggerTeacher"]
