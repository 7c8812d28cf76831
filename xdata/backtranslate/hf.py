"""The transformers engine: any seq2seq model (Marian/OPUS-MT, NLLB, M2M100, mBART, mT5).

Throughput comes from length-bucketed batches (inputs sorted by length, padded size under a
token budget, results restored to input order), ``torch.inference_mode`` and an output bound
of ``a * input tokens + b``. Sampling is done as Gumbel-max: each hypothesis gets noise from
its own seed and the decoding step, added to the (temperature-scaled, top-k/top-p-filtered)
logits before the argmax, so a row's sample does not depend on the other rows of its batch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..langs import base_lang, to_nllb
from ..models import model_digest, resolve_model_dir
from . import Decoding, EngineSpec, Hypothesis, default_threads, plan_batches

_STEP_MIX = np.uint64(0x632BE59BD9B4E019)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_DTYPES = ("float32", "bfloat16", "float16")


def display_name(model: str) -> str:
    """What provenance records: a hub name as is, a local directory by its name only (no
    machine paths in datasets)."""
    p = Path(model)
    return p.name if p.is_dir() else model


def lang_token(tokenizer: Any, lang: str) -> str | None:
    """The language-code token a multilingual model uses for ``lang`` (NLLB ``swh_Latn``,
    M2M100 ``__sw__``, mBART ``sw_KE``), or None for models without language tokens."""
    vocab = tokenizer.get_vocab()
    unk = tokenizer.unk_token_id
    base = base_lang(lang)
    cands = []
    try:
        cands.append(to_nllb(lang))
    except Exception:  # noqa: BLE001 - languages without an NLLB code
        pass
    cands += [f"__{base}__", f"__{lang}__"]
    cands += sorted(t for t in vocab if len(t) == 5 and t[2] == "_" and t[:2] == base and t[3:].isupper())
    for c in cands:
        # some tokenizers (M2M100) keep their language tokens outside get_vocab()
        if c in vocab or tokenizer.convert_tokens_to_ids(c) not in (None, unk):
            return c
    return None


def has_lang_tokens(tokenizer: Any) -> bool:
    return any(lang_token(tokenizer, x) for x in ("en", "fr", "de"))


class HFEngine:
    """A transformers seq2seq model loaded once per worker."""

    name = "hf"

    def __init__(self, model: str, out_lang: str, *, device: str = "cpu", dtype: str = "float32", threads: int = 0,
                 max_tokens: int = 4096, max_batch: int = 64, revision: str | None = None) -> None:
        if dtype not in _DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        import torch

        from ..models import load_transformers

        self.model_name = model
        self.revision = revision
        self.out_lang = out_lang
        self.device = device
        self.dtype = dtype
        self.max_tokens = max_tokens
        self.max_batch = max_batch
        self.dir, self.tokenizer, self.model = load_transformers(
            "AutoModelForSeq2SeqLM", model, revision=revision, threads=threads or default_threads(),
            what="seq2seq model", name=display_name(model), dtype=getattr(torch, dtype))
        self.model.to(device).eval()
        self.multilingual = has_lang_tokens(self.tokenizer)
        self.forced_bos: int | None = None
        if self.multilingual:
            tok = lang_token(self.tokenizer, out_lang)
            if tok is None:
                raise ConfigError(f"{display_name(model)} has no language token for {out_lang!r}")
            ids = self.tokenizer.convert_tokens_to_ids(tok)
            self.forced_bos = int(ids[0] if isinstance(ids, list) else ids)
        cfg = self.model.config
        self.eos = cfg.eos_token_id
        self.max_input = int(getattr(cfg, "max_position_embeddings", 0) or getattr(self.tokenizer, "model_max_length",
                                                                                  512) or 512)
        self._digest: str | None = None

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> "HFEngine":
        return cls(spec.model, spec.out_lang, device=spec.device, dtype=spec.dtype, threads=spec.threads,  # type: ignore[arg-type]
                   max_tokens=spec.max_tokens, max_batch=spec.max_batch, revision=spec.revision)

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(f"hf\0{model_digest(self.dir)}\0{self.dtype}\0{self.out_lang}".encode()).hexdigest()
        return self._digest

    def describe(self) -> dict[str, Any]:
        return {"engine": "hf", "model": display_name(self.model_name), "model_type": self.model.config.model_type,
                "revision": self.revision or _snapshot_revision(self.dir), "weights_digest": model_digest(self.dir),
                "dtype": self.dtype, "forced_bos": (self.tokenizer.convert_ids_to_tokens(self.forced_bos)
                                                    if self.forced_bos is not None else None)}

    def _set_src_lang(self, in_lang: str) -> None:
        if not self.multilingual or not hasattr(self.tokenizer, "src_lang"):
            return
        tok = lang_token(self.tokenizer, in_lang)
        if tok is None:
            raise ConfigError(f"{display_name(self.model_name)} has no language token for the input language {in_lang!r}")
        # M2M100's tokenizer takes the bare code, NLLB's and mBART's the token itself
        self.tokenizer.src_lang = tok.strip("_") if tok.startswith("__") else tok

    def encode(self, texts: list[str], in_lang: str) -> list[list[int]]:
        self._set_src_lang(in_lang)
        return self.tokenizer(texts, truncation=True, max_length=self.max_input)["input_ids"]

    def translate(self, texts: list[str], in_lang: str, seeds: np.ndarray, decoding: Decoding) -> list[list[Hypothesis]]:
        import torch

        ids = self.encode(texts, in_lang)
        d = decoding
        method = d.engine_method
        # sampled hypotheses are separate units (own seeds); beam returns n per input; greedy is one
        units = [(i, k) for i in range(len(texts)) for k in range(d.n)] if d.sampling else [(i, 0) for i in range(len(texts))]
        width = max(d.beam_size, d.n) if method == "beam" else 1
        out: list[list[Hypothesis | None]] = [[None] * d.n for _ in texts]
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for batch in plan_batches([len(ids[i]) for i, _ in units], max(1, self.max_tokens // width), self.max_batch):
            rows = [units[j] for j in batch]
            longest = max(len(ids[i]) for i, _ in rows)
            inp = torch.full((len(rows), longest), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), longest), dtype=torch.long)
            for r, (i, _k) in enumerate(rows):
                inp[r, :len(ids[i])] = torch.tensor(ids[i])
                mask[r, :len(ids[i])] = 1
            # one token beyond the bound (and one for a forced EOS) tells a cut hypothesis from a finished one
            caps = [d.max_tokens(len(ids[i])) for i, _ in rows]
            extra = 1 if self.forced_bos is not None else 0
            kw: dict[str, Any] = {"max_new_tokens": max(caps) + 2 + extra, "num_beams": 1, "do_sample": False,
                                  "num_return_sequences": 1}
            if self.forced_bos is not None:
                kw["forced_bos_token_id"] = self.forced_bos
            if method == "beam":
                kw.update(num_beams=width, num_return_sequences=d.n, output_scores=True, return_dict_in_generate=True)
            elif d.sampling:
                kw["logits_processor"] = _sampling_processors(d, np.array([seeds[i, k] for i, k in rows], dtype=np.uint64))
            with torch.inference_mode():
                res = self.model.generate(input_ids=inp.to(self.device), attention_mask=mask.to(self.device), **kw)
            seqs = (res.sequences if method == "beam" else res).cpu().tolist()
            scores = res.sequences_scores.cpu().tolist() if method == "beam" else None
            per = d.n if method == "beam" else 1
            for r, (i, k) in enumerate(rows):
                for h in range(per):
                    j = r * per + h
                    text, truncated = self._decode(seqs[j][1 + extra:], caps[r])
                    hyp = Hypothesis(text, round(float(scores[j]), 6) if scores is not None else None, truncated)
                    out[i][k + h] = hyp
        for hyps in out:  # greedy with n > 1: every hypothesis is the same one
            for k in range(1, d.n):
                if hyps[k] is None:
                    hyps[k] = hyps[0]
        return out  # type: ignore[return-value]

    def _decode(self, toks: list[int], cap: int) -> tuple[str, bool]:
        if self.eos in toks:
            toks = toks[:toks.index(self.eos)]
            truncated = len(toks) > cap
        else:
            truncated = True
        return str(self.tokenizer.decode(toks[:cap], skip_special_tokens=True)).strip(), truncated


def _snapshot_revision(model_dir: Path) -> str | None:
    """The commit of a hub snapshot directory (``.../snapshots/<commit>``), else None."""
    return model_dir.name if model_dir.parent.name == "snapshots" else None


def _sampling_processors(d: Decoding, seeds: np.ndarray) -> Any:
    from transformers import LogitsProcessor, LogitsProcessorList
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    class RowGumbel(LogitsProcessor):
        """Adds Gumbel(0, 1) noise drawn from each row's seed and the step: argmax = a sample."""

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            import torch

            from ..pipeline.rng import _splitmix64

            t = np.uint64(input_ids.shape[1])
            v = scores.shape[1]
            with np.errstate(over="ignore"):
                x = seeds[:, None] + t * _STEP_MIX + np.arange(v, dtype=np.uint64)[None, :] * _GOLDEN
                z = _splitmix64(x)
            u = ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
            g = torch.from_numpy((-np.log(-np.log(u))).astype(np.float32)).to(scores.device)
            return scores + g

    procs: list[Any] = []
    if d.temperature != 1.0:
        procs.append(TemperatureLogitsWarper(d.temperature))
    if d.method == "topk":
        procs.append(TopKLogitsWarper(d.top_k))
    if d.method == "topp":
        procs.append(TopPLogitsWarper(d.top_p))
    procs.append(RowGumbel())
    return LogitsProcessorList(procs)


__all__ = ["HFEngine", "resolve_model_dir", "model_digest", "lang_token", "display_name"]
