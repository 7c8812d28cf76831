"""A transformers token-classification model as a teacher.

The model is loaded once per process (the step's ``setup`` runs once per worker), runs on the
CPU with one intra-op thread by default (a model's floating-point sums change with the thread
count; a fixed count keeps the output bytes the same whatever the number of workers), and sees
length-bucketed batches: sentences sorted by subword count, each batch's padded size under
``max_tokens``, results restored to input order. The words are given to the tokenizer as they
are (``is_split_into_words``; a fast tokenizer is required for the subword -> word map) and the
subword logits are pooled to words by :func:`xdata.teacher.pool_subwords` (``first`` or
``mean``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import ConfigError
from ..models import model_digest
from . import Teacher, pool_subwords


class _HFTeacher(Teacher):
    """What both transformers teachers share: loading (once per process, CPU, fixed threads), the
    label names, the input length limit, the weights digest, provenance and the batch loop."""

    auto_class = ""
    what = ""

    def __init__(self, model: str, *, threads: int = 0, max_tokens: int = 4096, max_batch: int = 64,
                 revision: str | None = None) -> None:
        from ..backtranslate import default_threads
        from ..models import load_transformers

        self.model_name = model
        self.max_tokens, self.max_batch = max_tokens, max_batch
        self.dir, self.tokenizer, self.model = load_transformers(
            self.auto_class, model, revision=revision, threads=threads or default_threads(), what=self.what)
        self.model.eval()
        cfg = self.model.config
        self.labels = [str(cfg.id2label[i]) for i in range(cfg.num_labels)]
        limit = int(getattr(cfg, "max_position_embeddings", 0) or 512)
        self.max_input = min(limit, int(getattr(self.tokenizer, "model_max_length", limit) or limit))
        self._digest: str | None = None

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = model_digest(self.dir)
        return self._digest

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.dir.name, "model_type": self.model.config.model_type,
                "labels": len(self.labels), "digest": self.digest}

    def run_batches(self, ids: list[list[int]]) -> Iterator[tuple[int, np.ndarray]]:
        """(index, logits) of each input: inputs batched by length (``max_tokens`` padded tokens,
        ``max_batch`` inputs), padded, with an attention mask, so a row's logits do not depend on
        its batch neighbours."""
        import torch

        from ..backtranslate import plan_batches

        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for batch in plan_batches([len(x) for x in ids], self.max_tokens, self.max_batch):
            longest = max(len(ids[r]) for r in batch)
            inp = torch.full((len(batch), longest), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), longest), dtype=torch.long)
            for b, r in enumerate(batch):
                inp[b, :len(ids[r])] = torch.tensor(ids[r])
                mask[b, :len(ids[r])] = 1
            with torch.inference_mode():
                logits = self.model(input_ids=inp, attention_mask=mask).logits.float().numpy()
            for b, r in enumerate(batch):
                yield r, logits[b]


class HFTokenTeacher(_HFTeacher):
    """``AutoModelForTokenClassification`` + its fast tokenizer, from a local directory or the hub cache."""

    kind = "hf-token"
    auto_class = "AutoModelForTokenClassification"
    what = "token-classification model"

    def __init__(self, model: str, *, pooling: str = "first", threads: int = 0, max_tokens: int = 4096,
                 max_batch: int = 64, revision: str | None = None) -> None:
        self.pooling = pooling
        super().__init__(model, threads=threads, max_tokens=max_tokens, max_batch=max_batch, revision=revision)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ConfigError(f"{self.dir.name}: the teacher needs a fast tokenizer (tokenizer.json) to map subwords to words")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "pooling": self.pooling}

    def encode(self, sentences: Sequence[Sequence[str]]) -> tuple[list[list[int]], list[list[int | None]]]:
        """Subword ids and, per subword, the index of its word (``None`` for special tokens)."""
        if not sentences:
            return [], []
        enc = self.tokenizer([list(s) for s in sentences], is_split_into_words=True, truncation=True,
                             max_length=self.max_input)
        return list(enc["input_ids"]), [enc.word_ids(i) for i in range(len(sentences))]

    def logprobs(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.zeros((0, len(self.labels)))] * len(sentences)
        todo = [k for k, s in enumerate(sentences) if len(s)]
        ids, wids = self.encode([sentences[k] for k in todo])
        for r, logits in self.run_batches(ids):
            k = todo[r]
            out[k] = pool_subwords(logits[:len(ids[r])], wids[r], len(sentences[k]), self.pooling)
        return out


class HFSequenceTeacher(_HFTeacher):
    """``AutoModelForSequenceClassification`` + its tokenizer: one label distribution per text
    (``sequence_logprobs``), for ``text`` rows; loaded, batched and digested as the token teacher."""

    kind = "hf-sequence"
    auto_class = "AutoModelForSequenceClassification"
    what = "sequence-classification model"

    def logprobs(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        raise ConfigError(f"{self.dir.name} is a sequence-classification model: it labels texts (text rows), "
                          "not tokens")

    def sequence_logprobs(self, texts: Sequence[str]) -> np.ndarray:
        """``(texts, labels)`` log-probabilities, one row per text (batches by length; padding and
        batch neighbours do not change a row)."""
        from . import log_softmax

        out = np.zeros((len(texts), len(self.labels)))
        if not texts:
            return out
        ids = list(self.tokenizer(list(texts), truncation=True, max_length=self.max_input)["input_ids"])
        for r, logits in self.run_batches(ids):
            out[r] = log_softmax(logits[None, :])[0]
        return out


def is_sequence_classifier(model_dir: Path) -> bool:
    """Whether a transformers model directory holds a sequence-classification head (its config)."""
    import json

    try:
        cfg = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(str(a).endswith("ForSequenceClassification") for a in cfg.get("architectures") or [])


__all__ = ["HFTokenTeacher", "HFSequenceTeacher", "is_sequence_classifier"]
