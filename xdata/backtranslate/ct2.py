"""The CTranslate2 engine.

* A transformers model is converted on first use into a cache directory keyed by the model's
  digest and the quantization (``$XDATA_CACHE_DIR/ct2``, default ``~/.cache/xdata/ct2``); a
  directory already converted (it holds ``model.bin``) is used as it is.
* Translation runs in a separate process of its own: torch and CTranslate2 bundle different
  OpenMP runtimes, and once torch has computed in a process CTranslate2 runs several times
  slower there. The conversion (which needs torch) runs in a separate process too.
* Marian models: CTranslate2 starts the decoder from a zero embedding, transformers from the
  ``<pad>`` row of the embedding matrix. They agree when that row is zero (as in OPUS-MT
  models trained with Marian); the conversion checks the row and records the result, and the
  engine's provenance says when its output may differ from the transformers model's.
* Greedy and beam search run in length-bucketed batches and are deterministic. Sampling
  (sample, topk, topp) runs too, but CTranslate2 draws from one generator per translation
  thread, seeded when the translator is built and not reseedable per call: sampled hypotheses
  are *not* reproducible from the seed (the provenance says ``"sampling_reproducible": false``;
  the translation cache still makes a rerun give the same rows). For reproducible sampling use
  the ``hf`` engine, which draws per hypothesis.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import ConfigError, MissingDependency, PipelineError
from . import Decoding, EngineSpec, Hypothesis, default_threads, plan_batches

CONVERSION_INFO = "xdata-conversion.json"


def cache_dir() -> Path:
    return Path(os.environ.get("XDATA_CACHE_DIR") or Path.home() / ".cache" / "xdata")


def _require_ct2() -> None:
    import importlib.util

    if importlib.util.find_spec("ctranslate2") is None:
        raise MissingDependency("ctranslate2", "ct2", "the CTranslate2 back-translation engine")


def is_converted(path: Path) -> bool:
    return (path / "model.bin").is_file()


def convert(model: str, quantization: str | None = None, revision: str | None = None) -> Path:
    """The CTranslate2 directory for a transformers model, converting it (once) if needed."""
    from ..models import model_digest, resolve_model_dir

    _require_ct2()
    src = resolve_model_dir(model, revision)
    if is_converted(src):
        return src
    digest = model_digest(src)
    out = cache_dir() / "ct2" / f"{digest[:24]}-{quantization or 'none'}"
    if is_converted(out) and (out / CONVERSION_INFO).is_file():
        return out
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "xdata.backtranslate.ct2", "convert", str(src), str(tmp),
                           quantization or ""], capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ConfigError(f"converting {src.name} for CTranslate2 failed: {proc.stderr.strip()[-2000:]}")
    info = json.loads((tmp / CONVERSION_INFO).read_text(encoding="utf-8"))
    info["source_digest"] = digest
    (tmp / CONVERSION_INFO).write_text(json.dumps(info, sort_keys=True, indent=1), encoding="utf-8")
    try:
        os.replace(tmp, out)
    except OSError:  # another worker converted it at the same time: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _convert_here(src: str, out: str, quantization: str) -> None:
    """Runs in the conversion process: convert, keep the tokenizer files, check the pad row."""
    import ctranslate2
    import torch
    from transformers import AutoConfig

    tok_files = [f.name for f in Path(src).iterdir() if f.is_file() and (
        f.suffix in (".spm", ".model", ".txt") or f.name in ("vocab.json", "tokenizer.json", "tokenizer_config.json",
                                                            "special_tokens_map.json", "sentencepiece.bpe.model",
                                                            "generation_config.json"))]
    conv = ctranslate2.converters.TransformersConverter(src, copy_files=tok_files)
    conv.convert(out, quantization=quantization or None, force=True)
    info: dict[str, Any] = {"model_type": AutoConfig.from_pretrained(src).model_type,
                            "quantization": quantization or None, "converter": f"ctranslate2 {ctranslate2.__version__}"}
    if info["model_type"] == "marian":
        from safetensors import safe_open

        cfg = AutoConfig.from_pretrained(src)
        weights = Path(src) / "model.safetensors"
        row = None
        if weights.is_file():
            with safe_open(str(weights), "pt") as f:
                for key in f.keys():
                    if key.endswith("shared.weight") or key.endswith("embed_tokens.weight"):
                        row = f.get_slice(key)[cfg.pad_token_id]
                        break
        else:
            from transformers import AutoModelForSeq2SeqLM

            row = AutoModelForSeq2SeqLM.from_pretrained(src).get_input_embeddings().weight[cfg.pad_token_id]
        norm = float(torch.as_tensor(row).float().abs().max()) if row is not None else None
        info["pad_embedding_max_abs"] = norm
        info["start_embedding_matches"] = norm == 0.0 if norm is not None else None
    (Path(out) / CONVERSION_INFO).write_text(json.dumps(info, sort_keys=True), encoding="utf-8")


# -- the translation process -------------------------------------------------------------
def _send(f: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(struct.pack("<Q", len(data)))
    f.write(data)
    f.flush()


def _recv(f: IO[bytes]) -> Any:
    head = f.read(8)
    if len(head) < 8:
        raise EOFError
    (n,) = struct.unpack("<Q", head)
    return pickle.loads(f.read(n))


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The translation process: build the Translator, then answer requests until EOF."""
    import traceback

    import ctranslate2

    init = _recv(stdin)
    tr = ctranslate2.Translator(init["dir"], device=init["device"], compute_type=init["compute_type"],
                                inter_threads=1, intra_threads=init["threads"])
    _send(stdout, ("ok", None))
    while True:
        try:
            req = _recv(stdin)
        except EOFError:
            return
        try:
            res = tr.translate_batch(req["source"], req["prefix"], **req["options"])
            _send(stdout, ("ok", [[(h, s) for h, s in zip(r.hypotheses, r.scores or [None] * len(r.hypotheses))]
                                  for r in res]))
        except Exception:  # noqa: BLE001 - reported to the client, which raises
            _send(stdout, ("error", traceback.format_exc()))


class CT2Engine:
    """A CTranslate2 translator in its own process, with the model's transformers tokenizer."""

    name = "ct2"

    def __init__(self, model: str, out_lang: str, *, compute_type: str = "default", threads: int = 0,
                 device: str = "cpu", max_tokens: int = 4096, max_batch: int = 64, revision: str | None = None,
                 tokenizer: str | None = None) -> None:
        _require_ct2()
        import transformers
        from transformers import AutoTokenizer

        from .hf import display_name, has_lang_tokens, lang_token

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        quant = None if compute_type in ("default", "auto") else compute_type
        self.model_name = model
        self.dir = convert(model, quant, revision)
        self.compute_type = compute_type
        self.out_lang = out_lang
        self.max_tokens = max_tokens
        self.max_batch = max_batch
        info_file = self.dir / CONVERSION_INFO
        self.info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.is_file() else {}
        tok_dir = Path(tokenizer) if tokenizer else self.dir
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(tok_dir)
        except (OSError, ValueError) as e:
            raise ConfigError(f"no tokenizer for {display_name(model)} (pass tokenizer= a directory with the "
                              f"model's tokenizer files): {e}") from None
        self.prefix: str | None = None
        self.multilingual = has_lang_tokens(self.tokenizer)
        if self.multilingual:
            self.prefix = lang_token(self.tokenizer, out_lang)
            if self.prefix is None:
                raise ConfigError(f"{display_name(model)} has no language token for {out_lang!r}")
        self._lang_token = lang_token
        # Its own session: a Ctrl-C at the terminal goes to xdata's process group, which then stops
        # this server by closing its stdin (it never dies halfway through a reply of its own).
        self.proc = subprocess.Popen([sys.executable, "-m", "xdata.backtranslate.ct2", "serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        self._call({"dir": str(self.dir), "device": device, "compute_type": compute_type,
                    "threads": threads or default_threads()})
        self._digest: str | None = None

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> "CT2Engine":
        return cls(spec.model, spec.out_lang, compute_type=spec.compute_type, threads=spec.threads,  # type: ignore[arg-type]
                   device=spec.device, max_tokens=spec.max_tokens, max_batch=spec.max_batch, revision=spec.revision,
                   tokenizer=spec.tokenizer)

    def _call(self, req: dict[str, Any]) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            _send(self.proc.stdin, req)
            status, value = _recv(self.proc.stdout)
        except (EOFError, BrokenPipeError):
            raise PipelineError(f"the CTranslate2 process for {self.dir.name} ended unexpectedly "
                                f"(exit code {self.proc.poll()})") from None
        if status != "ok":
            raise PipelineError(f"CTranslate2 failed:\n{value}")
        return value

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    @property
    def digest(self) -> str:
        if self._digest is None:
            from ..models import model_digest

            self._digest = hashlib.sha256(f"ct2\0{model_digest(self.dir)}\0{self.compute_type}\0{self.out_lang}"
                                          .encode()).hexdigest()
        return self._digest

    def describe(self) -> dict[str, Any]:
        from ..models import model_digest
        from .hf import display_name

        d = {"engine": "ct2", "model": display_name(self.model_name), "compute_type": self.compute_type,
             "weights_digest": self.info.get("source_digest") or model_digest(self.dir),
             "converted_digest": model_digest(self.dir), "converter": self.info.get("converter"),
             "forced_bos": self.prefix}
        d["sampling_reproducible"] = False
        if self.info.get("start_embedding_matches") is False:
            d["note"] = ("the transformers model's <pad> embedding row is not zero: CTranslate2 starts the decoder "
                         "from a zero embedding, so its output can differ from the transformers engine's")
        return d

    def translate(self, texts: list[str], in_lang: str, seeds: np.ndarray, decoding: Decoding) -> list[list[Hypothesis]]:
        if self.multilingual and hasattr(self.tokenizer, "src_lang"):
            tok = self._lang_token(self.tokenizer, in_lang)
            if tok is None:
                raise ConfigError(f"{self.dir.name} has no language token for the input language {in_lang!r}")
            self.tokenizer.src_lang = tok.strip("_") if tok.startswith("__") else tok
        ids = self.tokenizer(texts, truncation=True)["input_ids"]
        source = [self.tokenizer.convert_ids_to_tokens(x) for x in ids]
        d = decoding
        method = d.engine_method
        width = max(d.beam_size, d.n) if method == "beam" else 1
        base: dict[str, Any] = {"beam_size": width, "num_hypotheses": d.n if method == "beam" else 1,
                                "return_scores": method == "beam", "max_input_length": 0, "return_end_token": True}
        if d.sampling:
            base.update(sampling_temperature=d.temperature, beam_size=1,
                        sampling_topk=d.top_k if d.method == "topk" else 0,
                        sampling_topp=d.top_p if d.method == "topp" else 1.0)
        out: list[list[Hypothesis | None]] = [[None] * d.n for _ in texts]
        units = [(i, k) for i in range(len(texts)) for k in range(d.n)] if d.sampling else [(i, 0) for i in range(len(texts))]
        batches = plan_batches([len(source[i]) for i, _ in units], max(1, self.max_tokens // width), self.max_batch)
        for batch in batches:
            rows = [units[j] for j in batch]
            caps = [d.max_tokens(len(source[i])) for i, _ in rows]
            extra = 1 if self.prefix else 0
            opts = dict(base, max_decoding_length=max(caps) + 2 + extra)
            res = self._call({"source": [source[i] for i, _ in rows],
                              "prefix": [[self.prefix] for _ in rows] if self.prefix else None, "options": opts})
            for r, (i, k) in enumerate(rows):
                for h, (toks, score) in enumerate(res[r]):
                    if self.prefix and toks[:1] == [self.prefix]:
                        toks = toks[1:]
                    if toks and toks[-1] == self.tokenizer.eos_token:
                        toks = toks[:-1]
                        truncated = len(toks) > caps[r]
                    else:
                        truncated = True
                    text = str(self.tokenizer.decode(self.tokenizer.convert_tokens_to_ids(toks[:caps[r]]),
                                                     skip_special_tokens=True)).strip()
                    out[i][k + h] = Hypothesis(text, round(float(score), 6) if score is not None else None, truncated)
        for hyps in out:
            for k in range(1, d.n):
                if hyps[k] is None:
                    hyps[k] = hyps[0]
        return out  # type: ignore[return-value]


if __name__ == "__main__":  # the conversion and translation processes
    if sys.argv[1] == "convert":
        _convert_here(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    elif sys.argv[1] == "serve":
        # answers go through a private copy of stdout; stray prints of libraries go to stderr
        channel = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
        _serve(sys.stdin.buffer, channel)
