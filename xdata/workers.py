"""Worker processes that cannot hang a run: one pool for every multi-process verb.

``concurrent.futures`` notices a worker that died (the OOM killer, ``kill -9``) and fails the
futures instead of waiting forever, which ``multiprocessing.Pool`` does not. On top of it:

* workers ignore SIGINT: Ctrl-C (sent to the whole process group) reaches only the driver,
  which stops the pool, kills its workers and re-raises, so no worker is left behind;
* an error in a worker's start-up (a missing model file) is not a crash that makes the pool
  start new workers forever: it is kept and raised, with its message, by the first task;
* a dead worker becomes :class:`WorkerDied` naming its exit status, never a hang.
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, TypeVar

from .errors import PipelineError

T = TypeVar("T")

_INIT_ERROR: BaseException | None = None


class WorkerDied(PipelineError):
    """A worker process ended abruptly (killed, out of memory, crashed in native code)."""


def _bootstrap(init: Callable[..., Any] | None, args: tuple[Any, ...]) -> None:
    global _INIT_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # also drops a Ctrl-C pending since the start
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if init is None:
        return
    try:
        init(*args)
    except BaseException as e:  # kept for the first task: its message must reach the user
        _INIT_ERROR = e


def _call(fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    return fn(*args)


def wait_result(fut: Future) -> Any:
    """``fut.result()``, woken four times a second so that a Ctrl-C is seen at once.

    A signal may be delivered to any thread that does not block it, and native libraries
    (polars, rayon, jemalloc) start threads of their own; when one of those takes the SIGINT,
    a main thread asleep in ``fut.result()`` would only notice when the next result arrives
    (minutes for a slow block). Waking up regularly lets the interpreter raise
    KeyboardInterrupt within a quarter second.
    """
    while True:
        try:
            return fut.result(timeout=0.25)
        except FuturesTimeout:  # (the builtin TimeoutError from Python 3.11 on)
            continue


class WorkerPool:
    """A process pool whose failures end the run with a clear error (see the module doc)."""

    def __init__(self, workers: int, init: Callable[..., Any] | None = None, args: tuple[Any, ...] = (), *,
                 method: str = "spawn", what: str = "worker") -> None:
        ctx = mp.get_context(method if method in mp.get_all_start_methods() else "spawn")
        self.what = what
        self._ex = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_bootstrap, initargs=(init, args))
        self._seen: dict[int, Any] = {}
        self._start_all()

    def _start_all(self) -> None:
        """Start every worker now, with SIGINT blocked, so no worker can die of a Ctrl-C.

        A worker started on demand would take a Ctrl-C that arrives while it imports its
        modules (before its set-up ignores SIGINT) and print a traceback. A blocked signal
        stays blocked in the new process (across the exec of a spawned one), where its set-up
        then ignores it; in the driver, a Ctrl-C that arrives meanwhile is delivered as soon
        as the workers have started, not lost.
        """
        ex = self._ex
        block = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
        if block:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            if hasattr(ex, "_safe_to_dynamically_spawn_children") and hasattr(ex, "_start_executor_manager_thread"):
                ex._safe_to_dynamically_spawn_children = False
                ex._start_executor_manager_thread()
                self._seen.update(getattr(ex, "_processes", None) or {})
        finally:
            if block:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def submit(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """Start ``fn(*args)`` in a worker; returns a function that waits for its result."""
        fut: Future = self._ex.submit(_call, fn, args)
        self._seen.update(getattr(self._ex, "_processes", None) or {})  # to report how one died
        return lambda: self._result(fut)

    def _result(self, fut: Future) -> Any:
        try:
            return wait_result(fut)
        except BrokenProcessPool:
            for p in self._seen.values():
                p.join(timeout=1)
            codes = sorted({p.exitcode for p in self._seen.values() if p.exitcode not in (None, 0)})
            if len(codes) > 1:  # the pool terminates the others once one died: report the cause
                codes = [c for c in codes if c != -signal.SIGTERM]
            how = ", ".join(_describe_exit(c) for c in codes) or "ended abruptly"
            raise WorkerDied(f"a {self.what} process died ({how}); the run stopped and wrote nothing. "
                             "If it was killed for memory, use fewer --workers or a smaller --batch-size") from None

    def _procs(self) -> list[Any]:
        return list((getattr(self._ex, "_processes", None) or {}).values())

    def close(self, *, kill: bool = False) -> None:
        """Stop the pool; with ``kill`` end its workers at once (an error or Ctrl-C in the driver)."""
        procs = self._procs() or list(self._seen.values())
        if kill:
            for p in procs:
                if p.is_alive():
                    try:
                        os.kill(p.pid, signal.SIGKILL)
                    except (ProcessLookupError, TypeError):
                        pass
            self._unblock_manager()
        self._ex.shutdown(wait=not kill, cancel_futures=True)
        for p in procs:
            p.join(timeout=5)

    def _unblock_manager(self) -> None:
        """Let the pool's manager thread end after its workers were killed.

        A worker killed while it sent a result leaves half a message in the result pipe; the
        manager thread then waits in ``recv()`` for the rest, for ever, and the interpreter
        waits for that thread at exit: the run would print its message and never return.
        Closing the pool's own copy of the pipe's write end turns that wait into end-of-file,
        which the manager treats as a broken pool and ends. The call queue's feeder thread is
        not joined at exit either (its readers are dead).
        """
        ex = self._ex
        try:
            ex._call_queue.cancel_join_thread()  # type: ignore[attr-defined]
        except AttributeError:  # pragma: no cover - other Python versions
            pass
        try:
            ex._result_queue._writer.close()  # type: ignore[attr-defined]
        except (AttributeError, OSError):  # pragma: no cover
            pass

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.close(kill=exc_type is not None)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (" - the out-of-memory killer sends this" if -code == signal.SIGKILL else "")
    return f"exit status {code}"


def in_order(submit: Callable[[int, Any], Callable[[], T]], chunks: Iterator[tuple[int, Any]],
             workers: int) -> Iterator[T]:
    """Submit chunks (``submit`` returns a function that waits for the result), keeping at most
    ``workers + 1`` in flight, and yield the results in input order."""
    pending: collections.deque = collections.deque()
    for i, chunk in chunks:
        pending.append(submit(i, chunk))
        if len(pending) > workers:
            yield pending.popleft()()
    while pending:
        yield pending.popleft()()
