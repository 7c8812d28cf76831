"""A neural word aligner in the manner of SimAlign (Jalili Sabet et al. 2020).

Words are embedded with a multilingual transformers encoder (any ``AutoModel`` by local path
or hub name: mBERT ``bert-base-multilingual-cased``, XLM-R ``xlm-roberta-base``, LaBSE
``sentence-transformers/LaBSE``), taking one hidden layer (default 8, SimAlign's choice for
mBERT; clipped to the model's depth) and averaging a word's subword vectors. Links come from
the cosine similarity matrix of the two sentences:

* ``argmax``: (i, j) when j is i's most similar target word and i is j's most similar source
  word (mutual argmax: high precision);
* ``itermax``: argmax, then again on the words left unaligned (already aligned rows and
  columns masked out), up to ``iterations`` rounds: higher recall.

Sentences go through the encoder in batches; a sentence longer than the model's maximum
length is cut into windows of whole words, each embedded separately, instead of failing.
No training: it works on any pair of languages the encoder covers, with no parallel text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from ..errors import ConfigError
from .aligners import Aligner, Capabilities
from .links import AlignResult
from .priors import AlignPriors

MATCHINGS = ("argmax", "itermax")


@dataclass
class NeuralAligner(Aligner):
    """SimAlign-style aligner over a transformers encoder: no training, symmetric links directly."""

    name: ClassVar[str] = "neural"
    capabilities: ClassVar[Capabilities] = Capabilities(trainable=False, saveable=False, takes_priors=False,
                                                        deterministic=True, directional=False)

    model: str = ""
    layer: int = 8
    matching: str = "itermax"
    iterations: int = 2
    batch_size: int = 32
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not self.model:
            raise ConfigError("the neural aligner needs model= (a transformers encoder: directory or hub name)")
        if self.matching not in MATCHINGS:
            raise ConfigError(f"matching must be one of {', '.join(MATCHINGS)}, got {self.matching!r}")
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        try:
            self._tok = AutoTokenizer.from_pretrained(self.model)
            self._enc = AutoModel.from_pretrained(self.model).to(self.device).eval()
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot load an encoder from {self.model!r}: {e}") from None
        depth = int(getattr(self._enc.config, "num_hidden_layers", self.layer))
        self.used_layer = max(0, min(self.layer, depth))
        limit = int(getattr(self._enc.config, "max_position_embeddings", 512) or 512)
        self.max_tokens = min(limit, int(getattr(self._tok, "model_max_length", limit) or limit)) - 4

    def describe(self) -> str:
        return f"neural:{self.matching}@layer{self.used_layer}"

    # -- embeddings ---------------------------------------------------------------------------
    def _windows(self, words: list[str]) -> list[list[str]]:
        """Whole-word windows whose subword count fits the encoder."""
        out: list[list[str]] = []
        cur: list[str] = []
        size = 0
        for w in words:
            n = max(1, len(self._tok.tokenize(w)))
            if cur and size + n > self.max_tokens:
                out.append(cur)
                cur, size = [], 0
            cur.append(w)
            size += n
        if cur or not out:
            out.append(cur)
        return out

    def embed(self, sentences: list[list[str]]) -> list[np.ndarray]:
        """One (words, hidden) matrix per sentence, L2-normalized rows."""
        import torch

        pieces: list[tuple[int, list[str]]] = []
        for k, words in enumerate(sentences):
            for win in self._windows(words):
                pieces.append((k, win))
        vecs: list[list[np.ndarray]] = [[] for _ in sentences]
        for start in range(0, len(pieces), self.batch_size):
            chunk = pieces[start:start + self.batch_size]
            enc = self._tok([w for _, w in chunk], is_split_into_words=True, padding=True, truncation=True,
                            max_length=self.max_tokens + 2, return_tensors="pt")
            with torch.inference_mode():
                out = self._enc(**{k: v.to(self.device) for k, v in enc.items()}, output_hidden_states=True)
            hidden = out.hidden_states[self.used_layer].float().cpu().numpy()
            for b, (k, words) in enumerate(chunk):
                ids = enc.word_ids(b)
                mat = np.zeros((len(words), hidden.shape[-1]), dtype=np.float64)
                cnt = np.zeros(len(words))
                for pos, w in enumerate(ids):
                    if w is not None:
                        mat[w] += hidden[b, pos]
                        cnt[w] += 1
                mat /= np.maximum(cnt, 1)[:, None]
                vecs[k].append(mat)
        out_m = []
        for parts in vecs:
            m = np.concatenate(parts) if parts else np.zeros((0, 1))
            out_m.append(m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9))
        return out_m

    # -- matching -------------------------------------------------------------------------------
    def links(self, sim: np.ndarray) -> set[tuple[int, int]]:
        return match(sim, self.matching, self.iterations)

    def align(self, src: list[list[str]], tgt: list[list[str]], *, sym: str = "grow-diag-final-and",
              extra_src: list[list[str]] | None = None, extra_tgt: list[list[str]] | None = None,
              priors: AlignPriors | None = None, progress: Callable[[str], None] | None = None,
              view: str | None = None) -> AlignResult:
        """Links per pair, each with a confidence in [0, 1] (mean similarity of its linked words).
        ``sym`` does not apply (the links are symmetric already); nor does a token ``view``: the
        encoder embeds the words as given."""
        if view not in (None, "none"):
            raise ConfigError(f"the neural aligner embeds the words as given; token view {view!r} does not apply")
        links, scores = self.links_and_scores(src, tgt)
        return AlignResult([sorted(x) for x in links], [max(0.0, min(1.0, x)) for x in scores], self.describe())

    def links_and_scores(self, src: list[list[str]], tgt: list[list[str]]) -> tuple[list[set[tuple[int, int]]], list[float]]:
        """Links per pair and a confidence (mean similarity of the linked words)."""
        es, et = self.embed(src), self.embed(tgt)
        out: list[set[tuple[int, int]]] = []
        scores: list[float] = []
        for a, b in zip(es, et):
            if not len(a) or not len(b):
                out.append(set())
                scores.append(0.0)
                continue
            sim = a @ b.T
            links = self.links(sim)
            out.append(links)
            scores.append(float(np.mean([sim[i, j] for i, j in links])) if links else 0.0)
        return out, scores


def match(sim: np.ndarray, matching: str = "itermax", iterations: int = 2) -> set[tuple[int, int]]:
    """Mutual-argmax links of a similarity matrix; ``itermax`` repeats on unaligned words."""
    links: set[tuple[int, int]] = set()
    m, n = sim.shape
    rows_done = np.zeros(m, dtype=bool)
    cols_done = np.zeros(n, dtype=bool)
    rounds = 1 if matching == "argmax" else max(1, iterations)
    for _ in range(rounds):
        s = sim.copy()
        s[rows_done, :] = -np.inf
        s[:, cols_done] = -np.inf
        if not np.isfinite(s).any():
            break
        best_j = s.argmax(axis=1)
        best_i = s.argmax(axis=0)
        new = {(i, int(best_j[i])) for i in range(m) if not rows_done[i] and np.isfinite(s[i, best_j[i]])
               and best_i[best_j[i]] == i}
        if not new:
            break
        links |= new
        for i, j in new:
            rows_done[i] = True
            cols_done[j] = True
    return links


__all__ = ["NeuralAligner", "match", "MATCHINGS"]
