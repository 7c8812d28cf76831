"""Opening files: compressed inputs (.gz, .zst, .xz, .bz2) are read transparently."""

from __future__ import annotations

import atexit
import bz2
import io
import lzma
import os
import shutil
import stat
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from ..errors import InputError, MissingDependency


BOM = b"\xef\xbb\xbf"
COMPRESSED = {".gz": "gzip", ".xz": "xz", ".bz2": "bzip2", ".zst": "zstd", ".zstd": "zstd"}
_PIECE = 1 << 18  # compressed bytes fed at a time (bounds what one piece can expand to)


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing by extension.

    A UTF-8 byte-order mark at the start is skipped (wherever the file's first line goes, so a
    row's text and id do not depend on its neighbours). Pipes, FIFOs and ``/dev/stdin`` are read once into a spool file (see :func:`input_path`),
    so an input can be digested and then read. Compressed data that is corrupt or ends early
    raises :class:`InputError` naming the file when the reader reaches it.
    """
    p = Path(path)
    real = input_path(p)
    fmt = COMPRESSED.get(p.suffix.lower())
    fh: Any = open(real, "rb", buffering=1 << 20) if fmt is None else \
        io.BufferedReader(_Decompressed(real, fmt, str(p)), buffer_size=1 << 20)
    try:
        if fh.peek(3)[:3] == BOM:  # a byte-order mark opens the file; it is not text of the first line
            fh.read(3)
    except BaseException:
        fh.close()
        raise
    return fh


def _decompressor(fmt: str) -> Any:
    if fmt == "gzip":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if fmt == "xz":
        return lzma.LZMADecompressor()
    if fmt == "bzip2":
        return bz2.BZ2Decompressor()
    try:
        import zstandard
    except ImportError as e:  # pragma: no cover - zstandard is a core dependency
        raise MissingDependency("zstandard", "core", "reading .zst files") from e
    return zstandard.ZstdDecompressor().decompressobj()


def _decompress_errors() -> tuple[type[BaseException], ...]:
    errs: list[type[BaseException]] = [zlib.error, lzma.LZMAError, EOFError, OSError, ValueError]
    try:
        import zstandard

        errs.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errs)


class _Decompressed(io.RawIOBase):
    """A decompressing reader that tells a complete stream from a cut or corrupt one.

    The standard modules disagree: gzip, xz and bzip2 raise ``EOFError`` without naming the
    file, and zstandard's stream reader ends quietly at a cut. Here every stream (several
    concatenated members or frames are allowed) must end where its format says it ends; if the
    file stops inside one, or the data does not decode, :class:`InputError` names the file.
    """

    def __init__(self, real: Path, fmt: str, shown: str) -> None:
        super().__init__()
        self._fh = open(real, "rb")
        self._fmt, self._shown = fmt, shown
        self._d = _decompressor(fmt)
        self._in_member = False
        self._buf = b""
        self._off = 0
        self._done = False
        self._errors = _decompress_errors()

    def readable(self) -> bool:
        return True

    def _fail(self, what: str) -> InputError:
        return InputError(f"{what}: the {self._fmt} data is cut short or corrupt (re-download or re-compress it)",
                          path=self._shown)

    def _feed(self, data: bytes) -> None:
        out: list[bytes] = []
        while data:
            try:
                out.append(self._d.decompress(data))
            except self._errors as e:
                raise self._fail(f"cannot decompress ({e})") from None
            self._in_member = True
            if not getattr(self._d, "eof", False):
                break
            data = self._d.unused_data
            self._d = _decompressor(self._fmt)  # the next member or frame, if any
            self._in_member = False
        self._buf, self._off = b"".join(out), 0

    def readinto(self, b: Any) -> int:
        while self._off >= len(self._buf):
            if self._done:
                return 0
            data = self._fh.read(_PIECE)
            if not data:
                self._done = True
                if self._in_member:
                    raise self._fail("unexpected end of file")
                return 0
            self._feed(data)
        n = min(len(b), len(self._buf) - self._off)
        b[:n] = self._buf[self._off:self._off + n]
        self._off += n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


_SPOOLED: dict[str, Path] = {}


def input_path(path: str | Path) -> Path:
    """A regular file holding ``path``'s bytes: ``path`` itself, or a spool copy of a stream.

    An input is read at least twice (its digest, then its rows). A pipe, a FIFO or
    ``/dev/stdin`` can be read only once, so its bytes are copied once into a temporary file
    (under ``$XDATA_TMPDIR`` or the system temp directory, removed when the process exits)
    and read from there. Missing paths and directories raise :class:`InputError`.
    """
    p = Path(path)
    key = str(p)
    if key in _SPOOLED:
        return _SPOOLED[key]
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError("file not found", path=p) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", path=p) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("expected a file, found a directory", path=p)
    if stat.S_ISREG(st.st_mode):
        return p
    if stat.S_ISBLK(st.st_mode) or (stat.S_ISCHR(st.st_mode) and key not in ("/dev/stdin", "/dev/fd/0")):
        raise InputError("is a device, not a file or a pipe", path=p)
    fd, tmp = tempfile.mkstemp(prefix="xdata-stdin-", suffix=".spool", dir=os.environ.get("XDATA_TMPDIR") or None)
    spool = Path(tmp)
    atexit.register(lambda: spool.unlink(missing_ok=True))
    try:
        with open(p, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except BaseException:
        spool.unlink(missing_ok=True)
        raise
    _SPOOLED[key] = spool
    return spool


def input_digest(paths: list[str], algorithm: str) -> str:
    """Digest of inputs by their bytes (streams through their spool copies)."""
    from ..hashing import digest_file, digest_files

    real = [str(input_path(p)) for p in paths]
    return digest_file(real[0], algorithm=algorithm) if len(real) == 1 else digest_files(real, algorithm=algorithm)


def input_size(path: str | Path) -> int | None:
    """Bytes of an uncompressed input (for progress with a total), None when unknown."""
    p = Path(path)
    if p.suffix.lower() in COMPRESSED:
        return None
    try:
        return input_path(p).stat().st_size
    except (OSError, InputError):
        return None


def check_writable(path: str | Path) -> None:
    """Fail before any work when ``path`` cannot be written: its directory must exist and take a
    new file (probed with a temporary file, removed at once). Raises :class:`InputError` for a
    missing directory and the real ``OSError`` (read-only file system, permission, disk full)."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"the directory {str(parent)!r} does not exist", path=p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".probe", dir=parent)
    os.close(fd)
    os.unlink(tmp)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[BinaryIO]:
    """Write to a temp file beside ``path`` and rename it into place only on success."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes the file private; the result is an ordinary file
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
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
