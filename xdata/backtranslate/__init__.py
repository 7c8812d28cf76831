"""Back-translation: target-language monolingual text -> synthetic parallel data.

A :class:`~xdata.backtranslate.step.BackTranslate` step turns ``text`` records in the target
language into ``pair`` records: ``tgt`` is the real input line, ``src`` the synthetic
source-language translation. With ``n > 1`` each input makes n rows (one per hypothesis).
Every row records in ``meta`` how it was made: engine, model and weights digest, decoding
method and parameters, seed, tag.

Engines (one interface, :class:`Engine`; built by :func:`load_engine`):

* ``hf``: any transformers seq2seq model by local path or hub name (Marian/OPUS-MT, NLLB and
  M2M100 with the forced target-language BOS token, mBART, mT5) -- :mod:`.hf`;
* ``ct2``: CTranslate2, converting a transformers model on first use into a cache keyed by the
  model's digest, or a converted directory; it runs in its own process -- :mod:`.ct2`;
* ``lexicon``: word by word through a bilingual lexicon read in reverse (an ``en xx`` file
  translates xx -> en), after normalization; unknown words are copied. It runs anywhere and
  is the embedded default, but it is a *baseline* (no reordering, no morphology), and its
  provenance says so (``"quality": "baseline"``).

Decoding (:class:`Decoding`): ``greedy``, ``beam`` (n-best), ``sample`` (temperature),
``topk``, ``topp`` and ``noised-beam`` (beam output, then word deletion, filler replacement and
local swaps, after Edunov et al. 2018). Randomness comes from per-hypothesis seeds derived
from the run seed and the row id, so a row's sample does not depend on the batch it was in.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from ..errors import ConfigError
from ..lexicon import Lexicon, load_lexicon
from ..normalize import normalize
from ..tokenize import word_tokenize_with_offsets

DECODES = ("greedy", "beam", "sample", "topk", "topp", "noised-beam")
#: Engine name -> "module:class" with a ``from_spec(EngineSpec)`` constructor, imported when used:
#: a new engine is one module plus one line here.
ENGINES: dict[str, str] = {
    "hf": "xdata.backtranslate.hf:HFEngine",
    "ct2": "xdata.backtranslate.ct2:CT2Engine",
    "lexicon": "xdata.backtranslate:LexiconEngine",
}
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Decoding:
    """How hypotheses are produced. Only the fields a method uses enter its description."""

    decode: str = "greedy"  # greedy | beam | sample | topk | topp | noised-beam
    n: int = 1  # hypotheses per input
    beam_size: int = 5
    temperature: float = 1.0
    top_k: int = 10
    top_p: float = 0.9
    noise_delete: float = 0.1  # noised beam: probability of deleting a word
    noise_filler: float = 0.1  # ... of replacing a word by the filler token
    noise_swap: int = 3  # ... maximum distance a word moves (random local permutation)
    filler: str = "<blank>"
    max_len_a: float = 1.5  # output tokens <= a * input tokens + b
    max_len_b: int = 5

    @property
    def method(self) -> str:
        """The decoding method (the ``decode`` parameter)."""
        return self.decode

    def __post_init__(self) -> None:
        if self.decode not in DECODES:
            raise ConfigError(f"unknown decoding {self.decode!r}; expected one of {', '.join(DECODES)}")
        if self.n < 1:
            raise ConfigError(f"n (hypotheses per input) must be at least 1, got {self.n}")
        if self.method in ("beam", "noised-beam") and self.beam_size < 1:
            raise ConfigError(f"beam_size must be at least 1, got {self.beam_size}")
        if self.temperature <= 0:
            raise ConfigError(f"temperature must be positive, got {self.temperature}")
        if self.method == "topk" and self.top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {self.top_k}")
        if self.method == "topp" and not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if not (0 <= self.noise_delete < 1 and 0 <= self.noise_filler < 1 and self.noise_swap >= 0):
            raise ConfigError("noise_delete and noise_filler must be in [0, 1), noise_swap >= 0")
        if self.max_len_a <= 0 or self.max_len_b < 0:
            raise ConfigError("max_len_a must be positive and max_len_b non-negative")

    @property
    def sampling(self) -> bool:
        return self.method in ("sample", "topk", "topp")

    @property
    def engine_method(self) -> str:
        """What the engine itself runs (noise is added afterwards, the same for every engine)."""
        return "beam" if self.method == "noised-beam" else self.method

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"method": self.method, "n": self.n, "max_len_a": self.max_len_a,
                             "max_len_b": self.max_len_b}
        if self.method in ("beam", "noised-beam"):
            d["beam_size"] = max(self.beam_size, self.n)
        if self.sampling:
            d["temperature"] = self.temperature
        if self.method == "topk":
            d["top_k"] = self.top_k
        if self.method == "topp":
            d["top_p"] = self.top_p
        if self.method == "noised-beam":
            d.update(noise_delete=self.noise_delete, noise_filler=self.noise_filler, noise_swap=self.noise_swap,
                     filler=self.filler)
        return d

    def max_tokens(self, n_input_tokens: int) -> int:
        return int(math.ceil(self.max_len_a * n_input_tokens + self.max_len_b))


@dataclass
class Hypothesis:
    text: str
    score: float | None = None  # the engine's log-probability score where it has one (beam)
    truncated: bool = False  # stopped by the length bound, not by end-of-sentence

    def to_json(self) -> list[Any]:
        return [self.text, self.score, self.truncated]

    @classmethod
    def from_json(cls, v: Sequence[Any]) -> "Hypothesis":
        return cls(v[0], v[1], bool(v[2]))


class Engine(Protocol):
    """Translates texts of one language into ``out_lang``; loaded once per worker."""

    name: str

    def describe(self) -> dict[str, Any]:
        """Provenance: engine, model, revision, weights digest, ..."""
        ...

    @property
    def digest(self) -> str:
        """Identifies the engine's behaviour (weights, vocabulary, options): the cache key."""
        ...

    def translate(self, texts: list[str], in_lang: str, seeds: np.ndarray,
                  decoding: Decoding) -> list[list[Hypothesis]]:
        """``decoding.n`` hypotheses per text; ``seeds[i, k]`` seeds hypothesis k of text i."""
        ...


def hypothesis_seeds(row_seeds: np.ndarray, n: int) -> np.ndarray:
    """Per-hypothesis 64-bit seeds, shape (rows, n), from the rows' own seeds."""
    from ..pipeline.rng import _splitmix64

    k = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix64(row_seeds.astype(np.uint64)[:, None] + k[None, :] * _GOLDEN)


def plan_batches(lengths: Sequence[int], max_tokens: int, max_batch: int) -> list[list[int]]:
    """Length-bucketed batches: indices sorted by length (longest first), each batch's
    padded size ``len(batch) * longest`` within ``max_tokens`` and at most ``max_batch`` rows."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    cur: list[int] = []
    longest = 0
    for i in order:
        size = max(longest, lengths[i])
        if cur and (len(cur) + 1 > max_batch or (len(cur) + 1) * size > max_tokens):
            batches.append(cur)
            cur, longest = [], 0
            size = lengths[i]
        cur.append(i)
        longest = size
    if cur:
        batches.append(cur)
    return batches


def add_noise(text: str, seed: int, d: Decoding) -> str:
    """Edunov et al.'s noise on a hypothesis: delete words, replace words by a filler, and
    shuffle words locally (each moves at most ``noise_swap`` positions)."""
    words = text.split()
    if not words:
        return text
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    u_del = rng.random(len(words))
    u_fill = rng.random(len(words))
    keys = np.arange(len(words)) + rng.uniform(0, d.noise_swap + 1, len(words)) if d.noise_swap else np.arange(len(words))
    out = []
    for j in np.argsort(keys, kind="stable"):
        if u_del[j] < d.noise_delete:
            continue
        out.append(d.filler if u_fill[j] < d.noise_filler else words[j])
    return " ".join(out)


def default_threads() -> int:
    """Threads per engine: one. The cores are used by the executor's workers (one per core by
    default); a model's floating-point results change with its intra-op thread count (parallel
    reductions sum in another order), so a fixed count keeps the output bytes the same whatever
    ``--workers`` is. ``--threads N`` trades that for speed with few workers."""
    return 1


@dataclass
class LexiconEngine:
    """Word-by-word translation through a lexicon (read target -> source): a baseline."""

    lexicon: Lexicon
    out_lang: str
    name: str = "lexicon"
    _path: str = field(default="", repr=False)

    @classmethod
    def from_spec(cls, spec: "EngineSpec") -> "LexiconEngine":
        return cls.load(spec.lexicon, spec.out_lang, spec.lexicon_reverse)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str, out_lang: str, reverse: bool = True) -> "LexiconEngine":
        """``path`` has the source-language word first (MUSE order); back-translation reads it in
        reverse (``reverse=True``), a forward engine (round trip) as it is."""
        lex = load_lexicon(path)
        return cls(lex.reversed() if reverse else lex, out_lang, _path=str(path))

    @property
    def digest(self) -> str:
        return self.lexicon.digest

    def describe(self) -> dict[str, Any]:
        return {"engine": "lexicon", "quality": "baseline", "lexicon": self.lexicon.describe()["path"],
                "lexicon_digest": self.lexicon.digest}

    def translate(self, texts: list[str], in_lang: str, seeds: np.ndarray,
                  decoding: Decoding) -> list[list[Hypothesis]]:
        out = []
        for i, text in enumerate(texts):
            toks = word_tokenize_with_offsets(normalize(text, in_lang), in_lang)
            hyps = []
            for h in range(decoding.n):
                rng = np.random.Generator(np.random.PCG64(int(seeds[i, h])))
                words = []
                for tok, _a, _b in toks:
                    entries = self.lexicon.lookup(tok)
                    if not entries:
                        words.append(tok)
                        continue
                    k = 0
                    if decoding.sampling and len(entries) > 1:
                        cand = entries[:decoding.top_k] if decoding.method == "topk" else entries
                        k = int(rng.integers(len(cand)))
                    elif decoding.engine_method == "beam":
                        k = min(h, len(entries) - 1)  # the h-th best reading of each word
                    tgt = entries[k].tgt
                    words.append(tgt[:1].upper() + tgt[1:] if tok[:1].isupper() else tgt)
                hyps.append(Hypothesis(_detokenize(words)))
            out.append(hyps)
        return out


def _detokenize(words: list[str]) -> str:
    """Join tokens with spaces, attaching closing punctuation to the previous word."""
    text = ""
    for w in words:
        if text and not (len(w) == 1 and w in ".,;:!?)]}%»”’") and not text.endswith(("(", "[", "{", "«", "“")):
            text += " "
        text += w
    return text


@dataclass(frozen=True)
class EngineSpec:
    """Everything needed to build an engine in a worker (picklable)."""

    engine: str = "lexicon"
    model: str | None = None
    lexicon: str | None = None
    out_lang: str = ""
    device: str = "cpu"
    dtype: str = "float32"
    compute_type: str = "default"  # ct2: default | int8 | int8_float32 | float16 | float32 ...
    threads: int = 0  # 0: the machine's cores shared among workers
    max_tokens: int = 4096  # padded tokens per batch
    max_batch: int = 64
    revision: str | None = None
    tokenizer: str | None = None  # ct2: tokenizer directory when the converted model lacks one
    lexicon_reverse: bool = True  # lexicon engine: the file has the output-language word first

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}; expected one of {', '.join(ENGINES)}")
        if self.engine == "lexicon" and not self.lexicon:
            raise ConfigError("the lexicon engine needs lexicon= (a file with the source-language word first)")
        if self.engine in ("hf", "ct2") and not self.model:
            raise ConfigError(f"the {self.engine} engine needs model= (a local directory or a hub name)")
        if self.max_tokens < 1 or self.max_batch < 1:
            raise ConfigError("max_tokens and max_batch must be positive")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def resources(self) -> dict[str, str]:
        """The engine's content digest for provenance: the lexicon file or the model's files."""
        if self.engine == "lexicon":
            from ..hashing import digest_file

            return {"lexicon": digest_file(self.lexicon)}  # type: ignore[arg-type]
        from ..models import model_digest, resolve_model_dir

        return {"model": model_digest(resolve_model_dir(self.model, self.revision))}  # type: ignore[arg-type]


def load_engine(spec: EngineSpec) -> Engine:
    """Build the engine a spec names (heavy libraries are imported here, not before)."""
    import importlib

    module, cls = ENGINES[spec.engine].split(":")
    return getattr(importlib.import_module(module), cls).from_spec(spec)


def open_cache(cache: str) -> Any:
    """The translation cache a step's ``cache`` parameter names: ``"auto"`` (the user cache
    directory), ``""`` (none) or a SQLite file."""
    from .cache import TranslationCache, default_cache_path

    return TranslationCache(default_cache_path() if cache == "auto" else cache) if cache else None


__all__ = ["Engine", "EngineSpec", "LexiconEngine", "Decoding", "Hypothesis", "DECODES", "ENGINES",
           "load_engine", "open_cache", "plan_batches", "add_noise", "hypothesis_seeds", "default_threads"]


from .._callable import make_callable  # noqa: E402

make_callable(__name__)  # xdata.backtranslate(...) runs the verb (xdata.api)
