"""A translation cache: a rerun, or a run resumed after a crash, repeats no translation.

Entries are keyed by (engine digest, decoding parameters, input language, input text, and the
hypothesis seeds when the decoding samples) and hold the engine's hypotheses. The store is one
SQLite file in WAL mode, so several worker processes share it; every batch is committed as
soon as it is translated, which is what makes a crashed run resumable: run the same command
again and only what was not translated yet is translated.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import InputError
from . import Decoding, Hypothesis
from .ct2 import cache_dir


#: Inputs translated between two cache commits: what a crash can cost at most, per worker.
COMMIT_ROWS = 512


def default_cache_path() -> Path:
    return cache_dir() / "translations.sqlite"


def cache_key(engine_digest: str, decoding: dict, lang: str, text: str, seeds: Iterable[int] | None) -> str:
    h = hashlib.sha256()
    h.update(engine_digest.encode())
    h.update(b"\0" + json.dumps(decoding, sort_keys=True).encode() + b"\0" + lang.encode() + b"\0")
    h.update(text.encode("utf-8"))
    if seeds is not None:
        h.update(b"\0" + ",".join(str(int(s)) for s in seeds).encode())
    return h.hexdigest()


class TranslationCache:
    """Hypotheses by key, in a SQLite file shared by processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=300, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS hyps (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.db.execute("SELECT key, value FROM hyps LIMIT 1").fetchall()
        except sqlite3.DatabaseError as e:
            raise self._corrupt(e) from None
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: list[str]) -> dict[str, list]:
        found: dict[str, list] = {}
        uniq = list(dict.fromkeys(keys))
        for i in range(0, len(uniq), 500):
            part = uniq[i:i + 500]
            q = f"SELECT key, value FROM hyps WHERE key IN ({','.join('?' * len(part))})"
            try:
                for k, v in self.db.execute(q, part):
                    found[k] = json.loads(v)
            except (sqlite3.DatabaseError, json.JSONDecodeError) as e:
                raise self._corrupt(e) from None
        self.hits += sum(1 for k in keys if k in found)
        self.misses += sum(1 for k in keys if k not in found)
        return found

    def put_many(self, items: dict[str, list]) -> None:
        if not items:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO hyps (key, value) VALUES (?, ?)",
                                [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()])

    def _corrupt(self, e: Exception) -> InputError:
        return InputError(f"translation cache is not a readable cache ({e}); delete it, point --cache "
                          "elsewhere or pass --no-cache", path=self.path)

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM hyps").fetchone()[0])

    def close(self) -> None:
        self.db.close()


def translate_cached(engine: Any, cache: TranslationCache | None, texts: list[str], langs: list[str],
                     seeds: np.ndarray, d: Decoding) -> list[list[Hypothesis]]:
    """``engine.translate`` for texts of several input languages, asking the cache first and
    storing what was translated (committed per language group, i.e. per batch)."""
    dec = {k: v for k, v in d.describe().items() if not k.startswith(("noise_", "filler"))}
    dec["method"] = d.engine_method  # noise is added after the engine: noised beam shares beam's entries
    keys = [cache_key(engine.digest, dec, lang, t, seeds[i] if d.sampling else None)
            for i, (t, lang) in enumerate(zip(texts, langs))]
    out: list[list[Hypothesis] | None] = [None] * len(texts)
    # The engine's batches are cut from the whole input (per language, COMMIT_ROWS at a time),
    # never from the part the cache lacks, and an entry is stored under the chunk it was
    # translated in: padding and batch shapes change a model's floating-point results, so a
    # text is served from the cache only as the chunk-mates it had when it was translated.
    # A run resumed from the cache therefore gives the bytes of an uninterrupted one.
    groups: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        groups.setdefault(lang, []).append(i)
    chunks = [idx[s:s + COMMIT_ROWS] for idx in groups.values() for s in range(0, len(idx), COMMIT_ROWS)]
    ckeys: dict[int, str] = {}
    for idx in chunks:
        chunk_id = hashlib.sha256("\x1f".join(keys[i] for i in idx).encode()).hexdigest()[:16]
        for pos, i in enumerate(idx):
            ckeys[i] = f"{chunk_id}:{pos}:{keys[i]}"
    found = cache.get_many(list(ckeys.values())) if cache is not None else {}
    for idx in chunks:
        if all(ckeys[i] in found for i in idx):
            for i in idx:
                out[i] = [Hypothesis.from_json(h) for h in found[ckeys[i]]]
            continue
        res = engine.translate([texts[i] for i in idx], langs[idx[0]], seeds[idx], d)
        for i, hyps in zip(idx, res):
            out[i] = hyps
        if cache is not None:
            cache.put_many({ckeys[i]: [h.to_json() for h in out[i]] for i in idx})  # type: ignore[union-attr]
    return out  # type: ignore[return-value]


__all__ = ["TranslationCache", "cache_key", "default_cache_path", "translate_cached"]
