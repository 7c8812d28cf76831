"""Reading a byte stream into chunks of lines (`xdata lid`, `xdata normalize`): block reads give the
lines, line ends and replacement characters that reading line by line gives."""

from __future__ import annotations

import io

import pytest

from xdata.io import stream
from xdata.io.stream import decode_lines, map_lines, read_chunks

CASES = [
    b"",
    b"one line without an end",
    b"a\nb\n",
    b"a\n\n\nb",
    b"crlf\r\nends\r\r\n\rlead and inner\rcarriage return\r",
    "Kiswahili\nisiZulu ŋ Ɖe\nहिन्दी\nالعربية\n".encode(),
    b"bad \xff\xfe bytes\ncut \xe2\x82\nok\n\xe2\x82\xac\n",
    b"\n",
    b"\r\n\r\n",
]


def _by_line(data: bytes) -> list[str]:
    return decode_lines(list(io.BytesIO(data)))[0]


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("block", [1, 3, 7, 1 << 22])
@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_block_reads_give_the_lines_of_a_line_by_line_read(monkeypatch, data, block, chunk):
    monkeypatch.setattr(stream, "BLOCK", block)
    got = list(read_chunks(io.BytesIO(data), chunk))
    assert [ln for lines, _ in got for ln in lines] == _by_line(data)
    assert all(len(lines) == chunk for lines, _ in got[:-1]) and all(lines for lines, _ in got)
    assert any(bad for _, bad in got) == decode_lines(list(io.BytesIO(data)))[1]


def _upper(tag: str):
    return lambda lines: "".join(f"{tag}{ln.upper()}\n" for ln in lines)


@pytest.mark.parametrize("workers", [1, 2])
def test_one_line_out_per_line_in_and_one_warning(workers):
    data = b"".join(CASES) * 50
    out, warned = io.StringIO(), []
    n = map_lines(io.BytesIO(data), out, _upper, (">",), chunk=7, workers=workers,
                  on_bad_utf8=lambda: warned.append(1))
    assert out.getvalue() == "".join(f">{ln.upper()}\n" for ln in _by_line(data))
    assert n == len(_by_line(data)) and warned == [1]


def test_a_line_longer_than_many_blocks_is_read_whole(monkeypatch):
    # a hostile input: one line of 1 MiB with no line end for 65,536 blocks; it is kept as a list
    # of blocks and joined once (copying what was read at every block made this quadratic)
    monkeypatch.setattr(stream, "BLOCK", 16)
    long = b"ab" * (1 << 19)
    got = list(read_chunks(io.BytesIO(long + b"\nnext\n" + long), 2))
    assert [len(ln) for lines, _ in got for ln in lines] == [len(long), 4, len(long)]
    assert got[0][0][1] == "next" and set(got[0][0][0]) == {"a", "b"}
