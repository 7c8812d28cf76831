"""Dataset shards as a manifest names them, confined to the dataset directory."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from .manifest import MANIFEST

SHARD_RE = re.compile(r"^(data|rejects)/[A-Za-z0-9._-]+\.parquet$")


def shard_file(directory: str | Path, rel: Any) -> Path:
    """The file a manifest's shard path names, confined to the dataset directory.

    A manifest is data, not instructions: a shard path must be ``data/NAME.parquet`` or
    ``rejects/NAME.parquet`` and name a regular file (no ``..``, no absolute path, no symbolic
    link, no device), so no command follows it out of the dataset or hangs reading a device.
    """
    d = Path(directory)
    if not isinstance(rel, str) or not SHARD_RE.match(rel) or ".." in rel.split("/"):
        raise InputError(f"manifest names the shard {rel!r}; expected data/NAME.parquet or rejects/NAME.parquet "
                         "inside the dataset directory", path=d / MANIFEST)
    p = d / rel
    if p.is_symlink():
        raise InputError("shard is a symbolic link; a dataset's shards must be its own files", path=p)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("shard listed in the manifest is missing", path=p) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("shard is not a regular file", path=p)
    return p


def read_shard(directory: str | Path, rel: Any, columns: list[str] | None = None) -> pl.DataFrame:
    """Read one shard (confined as in :func:`shard_file`); garbage is an error naming the file."""
    p = shard_file(directory, rel)
    try:
        return pl.read_parquet(p, columns=columns)
    except (pl.exceptions.PolarsError, OSError) as e:
        raise InputError(f"not a readable Parquet shard ({str(e).splitlines()[0]})", path=p) from None
