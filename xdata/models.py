"""Model directories: finding one (local path or hub cache) and its content digest for provenance.

Shared by every capability that loads transformers weights (back-translation engines, the
neural aligner, teachers): a model is identified by the digest of its files, never by a path.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError, MissingDependency


def resolve_model_dir(model: str, revision: str | None = None) -> Path:
    """A local directory as given, else the hub snapshot (from the local cache first)."""
    p = Path(model)
    if p.is_dir():
        return p
    if p.exists():
        raise ConfigError(f"model {model!r} is a file; expected a directory holding a model (config.json, weights, tokenizer)")
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise ConfigError(f"model {model!r}: no such directory (expected a local model directory or a hub name)")
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:  # pragma: no cover - transformers depends on it
        raise MissingDependency("huggingface_hub", "models", "loading models by hub name") from e
    try:
        return Path(snapshot_download(model, revision=revision, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached: try the network next
        pass
    try:
        return Path(snapshot_download(model, revision=revision))
    except Exception as e:  # noqa: BLE001 - any hub failure gets the same advice
        raise ConfigError(f"model {model!r} is neither a local directory nor in the Hugging Face cache, and "
                          f"downloading it failed ({type(e).__name__}). Pass --model a directory holding the model "
                          "(config.json, weights, tokenizer files).") from None


def model_digest(model_dir: Path) -> str:
    """sha256 over a model directory's files (names and bytes), hidden files excluded.

    Weights are large: a digest is computed once per process for a given set of files (name,
    size, modification time) and reused."""
    files = []
    for f in sorted(x for x in Path(model_dir).rglob("*") if x.is_file()):
        rel = f.relative_to(model_dir).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        st = f.stat()
        files.append((rel, str(f), st.st_size, st.st_mtime_ns))
    return _files_digest(tuple(files))


@lru_cache(maxsize=64)
def _files_digest(files: tuple[tuple[str, str, int, int], ...]) -> str:
    from .hashing import digest_file

    h = hashlib.sha256()
    for rel, path, _size, _mtime in files:
        h.update(rel.encode("utf-8") + b"\0" + digest_file(path).encode("ascii") + b"\n")
    return h.hexdigest()


def load_transformers(auto_class: str, model: str, *, revision: str | None = None, threads: int = 1,
                      what: str = "model", name: str | None = None, **load_kw: Any) -> tuple[Path, Any, Any]:
    """(directory, tokenizer, model) of a local transformers model (or a hub name in the local
    cache), loaded quietly on ``threads`` torch threads; ``auto_class`` names the transformers Auto
    class (e.g. ``AutoModelForSeq2SeqLM``). A directory that does not hold one is a one-line error."""
    import torch
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    d = resolve_model_dir(model, revision)
    torch.set_num_threads(threads)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(d)
        net = getattr(transformers, auto_class).from_pretrained(d, **load_kw)
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot load a {what} from {(name or d.name)!r}: {e}") from None
    return d, tokenizer, net
