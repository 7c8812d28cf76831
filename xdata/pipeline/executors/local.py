"""The local executor: blocks run in this process, in threads, or in a pool of worker processes."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from typing import Any, Generator, Iterator

from ...workers import in_order, wait_result
from .base import BatchRunner, BlockOutput, Executor

# -- worker process plumbing (spawned processes get the runner once, then batches) --------
_WORKER: BatchRunner | None = None


def _init_worker(payload: bytes) -> None:
    global _WORKER
    import cloudpickle

    _WORKER = cloudpickle.loads(payload)


def _work(index: int, chunk: Any) -> BlockOutput:
    assert _WORKER is not None
    return _WORKER.run_block(index, chunk)



class LocalExecutor(Executor):
    """Streams batches through a process pool on this machine, with bounded memory.

    At most ``workers + 1`` blocks are in flight; results are consumed in input order.
    With ``workers=1`` everything runs in this process. When parsing and every step are native
    (polars/Arrow work that releases the GIL, see ``Step.native``), blocks run as threads of
    this process: no worker start-up and no copying of blocks. Otherwise blocks go to a pool of
    spawned processes. Either way the output bytes are the same.
    """

    def map_blocks(self, runner: BatchRunner, chunks: Iterator[tuple[int, Any]],
                   workers: int) -> Generator[BlockOutput, None, None]:
        if workers == 1:
            for i, chunk in chunks:
                yield runner.run_block(i, chunk)
            return
        if runner.native:
            yield from self._map_threads(runner, chunks, workers)
            return
        import cloudpickle

        from ...workers import WorkerPool

        payload = cloudpickle.dumps(runner)
        # Workers start on demand during the run, so their environment and the hidden main
        # module stay in place until the pool is closed.
        saved = {k: os.environ.get(k) for k in ("POLARS_MAX_THREADS", "XDATA_WORKERS")}
        os.environ["POLARS_MAX_THREADS"] = "1"  # each worker is one core's worth of work
        os.environ["XDATA_WORKERS"] = str(workers)  # engines share the cores among workers
        try:
            with _main_module_hidden(), WorkerPool(workers, _init_worker, (payload,), what="pipeline worker") as pool:
                yield from in_order(lambda i, chunk: pool.submit(_work, i, chunk), chunks, workers)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    @staticmethod
    def _map_threads(runner: BatchRunner, chunks: Iterator[tuple[int, Any]], workers: int) -> Generator[BlockOutput, None, None]:
        from concurrent.futures import ThreadPoolExecutor

        for s in runner.steps:
            s.ensure_ready()
        pool = ThreadPoolExecutor(workers, thread_name_prefix="xdata-block")
        try:
            yield from in_order(lambda i, chunk: functools.partial(wait_result, pool.submit(runner.run_block, i, chunk)),
                                chunks, workers)
        finally:  # on an error or Ctrl-C, queued blocks are dropped; running ones end with their block
            pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Keep spawned workers from re-running the caller's script.

    Spawned processes normally import ``__main__`` again, which re-executes a script that
    calls ``run()`` without an ``if __name__ == "__main__"`` guard. Workers need nothing from
    it (steps travel by cloudpickle), so the main module's file and spec are hidden while
    the pool starts.
    """
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if main is not None and hasattr(main, k)}
    try:
        if "__file__" in saved:
            delattr(main, "__file__")
        if "__spec__" in saved:
            main.__spec__ = None  # type: ignore[union-attr]
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)
