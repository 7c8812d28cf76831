"""Opening files: compressed inputs (.gz, .zst, .xz, .bz2) are read transparently."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import InputError, MissingDependency


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing by extension."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p)
    if p.is_dir():
        raise InputError("expected a file, found a directory", path=p)
    suffix = p.suffix.lower()
    if suffix == ".gz":
        return gzip.open(p, "rb")  # type: ignore[return-value]
    if suffix == ".xz":
        return lzma.open(p, "rb")  # type: ignore[return-value]
    if suffix == ".bz2":
        return bz2.open(p, "rb")  # type: ignore[return-value]
    if suffix in (".zst", ".zstd"):
        try:
            import zstandard
        except ImportError as e:  # pragma: no cover - zstandard is a core dependency
            raise MissingDependency("zstandard", "core", "reading .zst files") from e
        fh = open(p, "rb")
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh, closefd=True))  # type: ignore[arg-type]
    return open(p, "rb", buffering=1 << 20)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[BinaryIO]:
    """Write to a temp file beside ``path`` and rename it into place only on success."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh  # type: ignore[misc]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_path(path: str | Path) -> tuple[Path, Path]:
    """(temp path, final path) for writers that need a file name rather than a handle."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p.with_name(f".{p.name}.tmp"), p
