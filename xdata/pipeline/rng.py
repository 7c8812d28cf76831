"""Per-row randomness: derived from (seed, step name, row id), never from global state.

A row's generator depends only on those three values, so results do not change with the
batch size, the number of workers or the executor.
"""

from __future__ import annotations

import hashlib

import numpy as np


def row_seed(seed: int, step: str, row_id: str) -> int:
    """A 64-bit seed for one row in one step."""
    h = hashlib.blake2b(f"{seed}\x1f{step}\x1f{row_id}".encode("utf-8"), digest_size=8)
    return int.from_bytes(h.digest(), "little")


def row_rng(seed: int, step: str, row_id: str) -> np.random.Generator:
    """A numpy Generator for one row in one step."""
    return np.random.Generator(np.random.PCG64(row_seed(seed, step, row_id)))


def row_uniforms(seed: int, step: str, row_ids: list[str], n: int = 1) -> np.ndarray:
    """``n`` uniform draws in [0, 1) per row, shape (len(row_ids), n)."""
    out = np.empty((len(row_ids), n), dtype=np.float64)
    for i, rid in enumerate(row_ids):
        out[i] = row_rng(seed, step, rid).random(n)
    return out
