"""Line-in, line-out commands over a byte stream (``xdata lid``, ``xdata normalize``).

Lines are read in chunks and each chunk goes through a function made once per process by a
factory; with ``workers > 1`` chunks go to that many processes and results are written in
input order, so the output has exactly one line per input line whatever the worker count.
"""

from __future__ import annotations

import itertools
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
    n = 0
    warned = False

    def emit(text: str, bad: bool) -> None:
        nonlocal n, warned
        if bad and not warned and on_bad_utf8 is not None:
            on_bad_utf8()
            warned = True
        out.write(text)
        n += text.count("\n")

    if workers <= 1:
        _init(factory, args)
        for raw in chunks:
            emit(*_run(raw))
    else:
        from ..workers import WorkerPool, in_order

        # fork where there is one: workers start at once and share the loaded pages. A worker
        # whose set-up fails (a missing model) makes the first chunk fail with its error.
        with WorkerPool(workers, _init, (factory, args), method="fork", what="line worker") as pool:
            for text, bad in in_order(lambda i, raw: pool.submit(_run, raw), enumerate(chunks), workers):
                emit(text, bad)
    out.flush()
    return n
