"""Per-row randomness: derived from (seed, step name, row id), never from global state.

A row's draws depend only on those three values, so results do not change with the
batch size, the number of workers or the executor.
"""

from __future__ import annotations

import numpy as np
import xxhash

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def row_seed(seed: int, step: str, row_id: str) -> int:
    """A 64-bit seed for one row in one step."""
    return xxhash.xxh3_64_intdigest(f"{seed}\x1f{step}\x1f{row_id}".encode("utf-8"))


def row_seeds(seed: int, step: str, row_ids: list[str]) -> np.ndarray:
    """:func:`row_seed` for many rows, as uint64."""
    prefix = f"{seed}\x1f{step}\x1f".encode("utf-8")
    h = xxhash.xxh3_64_intdigest
    return np.fromiter((h(prefix + r.encode("utf-8")) for r in row_ids), dtype=np.uint64, count=len(row_ids))


def row_rng(seed: int, step: str, row_id: str) -> np.random.Generator:
    """A numpy Generator for one row in one step (for draws beyond simple uniforms)."""
    return np.random.Generator(np.random.PCG64(row_seed(seed, step, row_id)))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def row_uniforms(seed: int, step: str, row_ids: list[str], n: int = 1) -> np.ndarray:
    """``n`` uniform draws in [0, 1) per row, shape (len(row_ids), n).

    Draw k of a row is splitmix64(row seed + k * golden ratio), vectorized over rows: the
    same row gets the same draws whatever batch it lands in.
    """
    seeds = row_seeds(seed, step, row_ids)
    with np.errstate(over="ignore"):
        bits = _splitmix64(seeds[:, None] + np.arange(n, dtype=np.uint64)[None, :] * _GOLDEN)
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
