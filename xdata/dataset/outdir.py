"""The output-directory protocol: a dataset version appears whole or not at all.

Every run that writes a dataset version goes through :class:`OutputDir`:

1. ``--out DIR`` must be absent, an empty directory, or a finished xdata dataset (a
   ``manifest.json``; replacing one needs ``overwrite``). Any other directory is refused: xdata
   never deletes or writes into a folder it did not make.
2. A lock (``.DIR.xdata-lock`` beside ``DIR``, an ``flock``) admits one writer at a time; a
   second run on the same ``--out`` fails at once, naming the lock.
3. The run writes into a temporary sibling ``.DIR.xdata-partial-PID`` (same file system), so
   nothing at ``DIR`` changes while it works; a run that fails or is interrupted removes its
   sibling, and one killed outright leaves it to be removed by the next run on that ``--out``.
4. When the manifest has been written, the sibling replaces ``DIR`` in one step (an atomic
   exchange of the two directories where the kernel offers it, else two renames), and only
   then is the previous version deleted.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .manifest import MANIFEST, read_manifest

PARTIAL = ".xdata-partial-"
LOCK_SUFFIX = ".xdata-lock"


def partial_prefix(final: Path) -> str:
    return f".{final.name}{PARTIAL}"


def lock_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{LOCK_SUFFIX}")


def check_out_dir(final: Path, overwrite: bool) -> None:
    """Refuse an ``--out`` that is not safe to replace (see the module doc)."""
    if final.is_symlink():
        raise ConfigError(f"--out {final} is a symbolic link; give the real directory")
    if not final.exists():
        return
    if not final.is_dir():
        raise ConfigError(f"--out {final} is a file, expected a directory")
    if (final / MANIFEST).is_file():
        if not overwrite:
            raise ConfigError(f"{final} already holds a finished dataset; choose another --out or pass --overwrite")
        return
    if any(final.iterdir()):
        raise ConfigError(
            f"--out {final} is a directory that is not an xdata dataset (no manifest.json) and not empty; "
            "xdata only replaces its own datasets: choose a new or empty directory")


class OutputDir:
    """Lock ``final``, hand out a temporary sibling to write into, and commit or abort it."""

    def __init__(self, final: str | Path, *, overwrite: bool = False) -> None:
        self.final = Path(os.path.abspath(final))
        self.overwrite = overwrite
        self.tmp: Path | None = None
        self._lock_fd: int | None = None

    def open(self) -> Path:
        check_out_dir(self.final, self.overwrite)
        parent = self.final.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create the parent directory of --out {self.final}: {e.strerror}") from e
        self._lock()
        return self._start_partial(parent, partial_prefix(self.final),
                                   lambda: check_out_dir(self.final, self.overwrite))  # again, under the lock

    def _start_partial(self, directory: Path, prefix: str, check: Any = None) -> Path:
        """Under the lock: remove partial directories a killed run left, make this run's one."""
        try:
            if check is not None:
                check()
            for stale in directory.glob(prefix + "*"):
                shutil.rmtree(stale, ignore_errors=True)
            self.tmp = directory / f"{prefix}{os.getpid()}"
            self.tmp.mkdir()
        except BaseException:
            self._unlock()
            raise
        return self.tmp

    def _lock(self) -> None:
        self._lock_at(lock_path(self.final))

    def _lock_at(self, lp: Path) -> None:
        import fcntl

        try:
            fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ConfigError(f"cannot create the lock file {lp}: {e.strerror}") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise ConfigError(f"another xdata run is writing {self.final} (it holds the lock {lp}); "
                                  "wait for it or choose another --out") from None
            raise
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock; the file stays (removing it would race)
            self._lock_fd = None

    def parent_version(self) -> str | None:
        """The version this run replaces (recorded in the manifest as its parent)."""
        try:
            return str(read_manifest(self.final)["version"]) if (self.final / MANIFEST).is_file() else None
        except Exception:  # noqa: BLE001 - an unreadable previous version has no usable id
            return None

    def commit(self, version: str | None = None) -> Path:
        """Put the finished version in place of ``final``; delete the previous one only afterwards."""
        assert self.tmp is not None
        _fsync_dir(self.tmp)
        old: Path | None = None
        if self.final.exists():
            if _exchange(self.tmp, self.final):
                old = self.tmp
            else:
                old = self.final.with_name(f"{partial_prefix(self.final)}{os.getpid()}-old")
                os.rename(self.final, old)
                os.rename(self.tmp, self.final)
        else:
            os.rename(self.tmp, self.final)
        _fsync_dir(self.final.parent)
        self.tmp = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._unlock()
        return self.final

    def abort(self) -> None:
        """Remove the temporary sibling; ``final`` is left exactly as it was."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self._unlock()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_RENAME_EXCHANGE = 2
_libc: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        try:
            _libc = ctypes.CDLL(name, use_errno=True) if name else False
        except OSError:
            _libc = False
    fn = getattr(_libc, "renameat2", None) if _libc else None
    if fn is None:
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


HISTORY_MARK = ".xdata-history"
LATEST = "latest"


class HistoryDir(OutputDir):
    """A dataset's history: ``ROOT/NAME/VERSION/`` directories and a ``latest`` pointer.

    Each run writes into ``ROOT/NAME/.xdata-partial-PID`` and renames it to its version id once
    the manifest is written; then ``latest`` (a relative symbolic link) is switched to it in one
    step. A version that already exists (the same fingerprint: the same content) is kept and the
    new copy dropped. Earlier versions stay until ``xdata gc`` removes them.
    """

    def __init__(self, root: str | Path, *, overwrite: bool = False) -> None:
        super().__init__(root, overwrite=overwrite)
        self.root = self.final

    def open(self) -> Path:
        r = self.root
        if r.exists() and not r.is_dir():
            raise ConfigError(f"--out {r} is a file, expected a directory")
        if r.exists() and any(r.iterdir()) and not (r / HISTORY_MARK).exists():
            raise ConfigError(f"--out {r} is not an xdata dataset history (no {HISTORY_MARK}) and not empty; "
                              "choose a new or empty directory")
        try:
            r.mkdir(parents=True, exist_ok=True)
            (r / HISTORY_MARK).touch()
        except OSError as e:
            raise ConfigError(f"cannot create --out {r}: {e.strerror}") from e
        self._lock_at(r / ".xdata-lock")
        return self._start_partial(r, PARTIAL)

    def point_latest(self, version: str) -> None:
        """Switch ``latest`` to an existing version (a multi-part run that reused it), atomically."""
        self._lock_at(self.root / ".xdata-lock")
        try:
            self._switch_latest(version)
        finally:
            self._unlock()

    def _switch_latest(self, version: str) -> None:
        tmp_link = self.root / f".{LATEST}.tmp-{os.getpid()}"
        tmp_link.unlink(missing_ok=True)
        os.symlink(version, tmp_link)
        os.replace(tmp_link, self.root / LATEST)
        _fsync_dir(self.root)

    def parent_version(self) -> str | None:
        link = self.root / LATEST
        return os.readlink(link) if link.is_symlink() else None

    def commit(self, version: str | None = None) -> Path:
        assert self.tmp is not None and version
        final = self.root / version
        _fsync_dir(self.tmp)
        if final.exists():  # the same fingerprint: the same content; keep what is there
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            os.rename(self.tmp, final)
        self.tmp = None
        self._switch_latest(version)
        self._unlock()
        return final
