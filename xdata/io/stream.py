"""Line-in, line-out commands over a byte stream (``xdata lid``, ``xdata normalize``).

Lines are read in blocks of bytes, in chunks of lines, and each chunk goes through a function
made once per process by a factory; with ``workers > 1`` chunks go to that many processes and
results are written in input order, so the output has exactly one line per input line whatever
the worker count.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

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


#: Bytes read from the input at a time (at most; a pipe gives what it has). Measured on 1M lines:
#: 64 KiB blocks take half the time of reading line by line; 4 MiB blocks are slower than either.
BLOCK = 1 << 16


def read_chunks(inp: Any, chunk: int) -> Iterator[tuple[list[str], bool]]:
    """Chunks of ``chunk`` lines (the last may be shorter) of the binary stream ``inp`` as text
    (line ends stripped, as :func:`decode_lines` does), each with whether invalid UTF-8 was met
    since the chunk before.

    The stream is read in blocks and a block of whole lines is decoded and split at once; a block
    that is not valid UTF-8 is decoded line by line, so the replacement characters are the same."""
    read = getattr(inp, "read1", inp.read)
    pending: list[bytes] = []  # read since the last line end: joined once one comes (a long line is not copied per block)
    lines: list[str] = []
    bad = False
    while True:
        block = read(BLOCK)
        if block and b"\n" not in block:
            pending.append(block)
            continue
        data = b"".join([*pending, block]) if pending else block
        pending = []
        if not block:  # end of input: a last line without a line end is a line
            if not data:
                break
            data += b"\n"
        cut = data.rfind(b"\n") + 1
        if cut < len(data):
            pending.append(data[cut:])
        try:
            text = data[:cut].decode("utf-8")
            new = text.split("\n")
            new.pop()  # the empty piece after the last line end
            if "\r" in text:
                new = [ln.rstrip("\r") for ln in new]
        except UnicodeDecodeError:
            new, bad = decode_lines(data[:cut].split(b"\n")[:-1])
        lines.extend(new)
        full = len(lines) - len(lines) % chunk
        for i in range(0, full, chunk):
            yield lines[i:i + chunk], bad
            bad = False
        del lines[:full]
        if not block:
            break
    if lines:
        yield lines, bad


def _init(factory: Callable[..., ChunkFn], args: tuple[Any, ...]) -> None:
    global _FN
    _FN = factory(*args)


def _run(lines: list[str]) -> str:
    assert _FN is not None
    return _FN(lines)


def map_lines(inp: Any, out: Any, factory: Callable[..., ChunkFn], args: tuple[Any, ...] = (), *,
              chunk: int = 10_000, workers: int = 1, on_bad_utf8: Callable[[], None] | None = None) -> int:
    """Write ``factory(*args)(lines)`` for every chunk of lines of the binary stream ``inp``, in
    order. ``factory`` and ``args`` must be picklable (module-level) when ``workers > 1``.
    ``on_bad_utf8`` is called once if any line was not valid UTF-8. Returns the lines written."""
    n = 0
    warned = False
    chunks = read_chunks(inp, chunk)

    def emit(text: str) -> None:
        nonlocal n
        out.write(text)
        n += text.count("\n")

    def texts(chunks: Iterator[tuple[list[str], bool]]) -> Iterator[tuple[int, list[str]]]:
        nonlocal warned
        for i, (lines, bad) in enumerate(chunks):
            if bad and not warned and on_bad_utf8 is not None:
                on_bad_utf8()
                warned = True
            yield i, lines

    if workers <= 1:
        _init(factory, args)
        for _, lines in texts(chunks):
            emit(_run(lines))
    else:
        from ..workers import WorkerPool, in_order

        # fork where there is one: workers start at once and share the loaded pages. A worker
        # whose set-up fails (a missing model) makes the first chunk fail with its error.
        with WorkerPool(workers, _init, (factory, args), method="fork", what="line worker") as pool:
            for text in in_order(lambda i, lines: pool.submit(_run, lines), texts(chunks), workers):
                emit(text)
    out.flush()
    return n
