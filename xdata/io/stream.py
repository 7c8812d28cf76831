"""Line-in, line-out commands over a byte stream (``xdata lid``, ``xdata normalize``).

Lines are read in chunks and each chunk goes through a function made once per process by a
factory; with ``workers > 1`` chunks go to that many processes and results are written in
input order, so the output has exactly one line per input line whatever the worker count.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
from typing import Any, Callable

ChunkFn = Callable[[list[str]], str]

_FN: ChunkFn | None = None


def decode_lines(raw: list[bytes]) -> tuple[list[str], bool]:
    """Lines as text (line ends stripped); invalid UTF-8 is replaced, and reported."""
    out, bad = [], False
    for b in raw:
        try:
            out.append(b.decode("utf-8").rstrip("\r\n"))
        except UnicodeDecodeError:
            bad = True
            out.append(b.decode("utf-8", "replace").rstrip("\r\n"))
    return out, bad


def _init(factory: Callable[..., ChunkFn], args: tuple[Any, ...]) -> None:
    global _FN
    _FN = factory(*args)


def _run(raw: list[bytes]) -> tuple[str, bool]:
    assert _FN is not None
    lines, bad = decode_lines(raw)
    return _FN(lines), bad


def map_lines(inp: Any, out: Any, factory: Callable[..., ChunkFn], args: tuple[Any, ...] = (), *,
              chunk: int = 10_000, workers: int = 1, on_bad_utf8: Callable[[], None] | None = None) -> int:
    """Write ``factory(*args)(lines)`` for every chunk of lines of the binary stream ``inp``, in
    order. ``factory`` and ``args`` must be picklable (module-level) when ``workers > 1``.
    ``on_bad_utf8`` is called once if any line was not valid UTF-8. Returns the lines written."""
    chunks = iter(lambda: list(itertools.islice(inp, chunk)), [])
    pool = None
    if workers <= 1:
        _init(factory, args)
        results: Any = map(_run, chunks)
    else:
        # fork where there is one: workers start at once and share the loaded pages
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        pool = ctx.Pool(workers, initializer=_init, initargs=(factory, args))
        results = pool.imap(_run, chunks, chunksize=1)
    n = 0
    warned = False
    try:
        for text, bad in results:
            if bad and not warned and on_bad_utf8 is not None:
                on_bad_utf8()
                warned = True
            out.write(text)
            n += text.count("\n")
        out.flush()
    finally:
        if pool is not None:
            pool.terminate()
    return n
