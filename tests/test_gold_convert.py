"""bench/gold_convert.py: published gold sets (``left ||| right`` + links) in the shared layout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import gold_convert as gc  # noqa: E402

from xdata.align import read_pharaoh  # noqa: E402


def _write(tmp_path: Path, text: str, links: str) -> tuple[Path, Path]:
    t, g = tmp_path / "test.x-en", tmp_path / "x.talp"
    t.write_text(text, encoding="utf-8")
    g.write_text(links, encoding="utf-8")
    return t, g


def test_one_based_links_with_possible_ones_swapped_to_english_first(tmp_path):
    # 1-based (no link names word 0), left = German, right = English; "p" marks a possible link
    t, g = _write(tmp_path, "das Haus ist klein ||| the house is small\nja ||| yes\n",
                  "1-1 2-2 3-3 4-4 3p1\n1-1\n")
    src, tgt, gold, stats = gc.convert(t, g, swap=True)
    assert src == ["the house is small\n", "yes\n"]
    assert tgt == ["das Haus ist klein\n", "ja\n"]
    assert gold == ["0-0 1-1 2-2 3-3 0?2\n", "0-0\n"]
    assert (stats["sure"], stats["possible"], stats["pairs"]) == (5, 1, 2)


def test_zero_based_links_are_detected_and_kept_in_order(tmp_path):
    t, g = _write(tmp_path, "a b ||| x y\n", "0-1 1-0\n")
    _, _, gold, _ = gc.convert(t, g)
    assert gold == ["0-1 1-0\n"]
    # the base can be forced: read as 1-based, word 0 is outside the pair
    with pytest.raises(gc.GoldError, match=r"x\.talp:1: link 0-1 outside a pair of 2 and 2 words \(index base 1\)"):
        gc.convert(t, g, base="1")


def test_a_whitespace_token_is_removed_and_the_links_renumbered(tmp_path):
    # the ja-en KFTT set keeps an ideographic space (U+3000) as a token; runs of ASCII spaces
    # are one separator
    t, g = _write(tmp_path, "山 \u3000 寺  です ||| mountain  temple\n", "0-0 1-0 2-1 3-1\n")
    src, tgt, gold, stats = gc.convert(t, g, swap=True)
    assert tgt == ["山 寺 です\n"] and src == ["mountain temple\n"]
    assert gold == ["0-0 1-1 1-2\n"]  # the link to the space is dropped; 寺 and です move down one
    assert (stats["blank_tokens"], stats["links_dropped"]) == (1, 1)
    lengths = [(len(s.split()), len(x.split())) for s, x in zip(src, tgt)]
    gold_file = tmp_path / "gold.txt"
    gold_file.write_text("".join(gold), encoding="utf-8")
    assert read_pharaoh(gold_file, allow_possible=True, lengths=lengths)[0][0] == {(0, 0), (1, 1), (1, 2)}


@pytest.mark.parametrize("text, links, message", [
    ("a b ||| x\n", "1-1\n2-1\n", r"x\.talp: 2 link lines for 1 sentence pairs"),
    ("a b ||| x\n", "1-1 2:1\n", r"x\.talp:1: not a link: '2:1'"),
    ("a b | x\n", "1-1\n", r"test\.x-en:1: no ' \|\|\| ' between the two sides"),
    ("a b ||| x\n", "1-1 3-1\n", r"x\.talp:1: link 3-1 outside a pair of 2 and 1 words"),
])
def test_bad_input_is_one_error_naming_file_and_line(tmp_path, text, links, message):
    t, g = _write(tmp_path, text, links)
    with pytest.raises(gc.GoldError, match=message):
        gc.convert(t, g)


def test_command_writes_the_layout_bench_align_reads_and_refuses_bad_input(tmp_path):
    t, g = _write(tmp_path, "ein Test ||| a test\n", "1-1 2-2\n")
    out = tmp_path / "en-xx"
    done = subprocess.run([sys.executable, str(REPO / "bench" / "gold_convert.py"), str(t), str(g), str(out), "--swap"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [(out / f).read_text(encoding="utf-8") for f in ("src.txt", "tgt.txt", "gold.txt")] == \
        ["a test\n", "ein Test\n", "0-0 1-1\n"]
    g.write_text("1-1 2-9\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, str(REPO / "bench" / "gold_convert.py"), str(t), str(g), str(tmp_path / "o2")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "x.talp:1: link 2-9 outside" in bad.stderr
    assert not (tmp_path / "o2").exists()  # nothing written


def test_whitespace_inside_a_token_bad_utf8_and_a_bom(tmp_path):
    t, g = _write(tmp_path, "a b\u00a0c d ||| x y\n", "0-0 1-1 2-1\n")
    with pytest.raises(gc.GoldError, match=r"test\.x-en:1: token 'b\\xa0c' holds whitespace"):
        gc.convert(t, g)
    t.write_bytes(b"a b ||| x\xff y\n")
    with pytest.raises(gc.GoldError, match=r"test\.x-en: not UTF-8 \(invalid start byte at byte 9\)"):
        gc.convert(t, g)
    t.write_text("a b ||| x y\n", encoding="utf-8")
    g.write_bytes("\ufeff0-0 1-1\n".encode("utf-8"))
    assert gc.convert(t, g)[2] == ["0-0 1-1\n"]


def test_index_base_from_links_past_the_end_and_contradictions(tmp_path):
    # 1-based: a link names word 2 of a 2-word side (past the end if 0-based)
    t, g = _write(tmp_path, "a b ||| x y\n", "2-2 1-1\n")
    *_, stats = gc.convert(t, g)
    assert (stats["base"], stats["base_guessed"]) == (1, 0)
    g.write_text("0-0 2-1\n", encoding="utf-8")  # word 0 and word 2 of a 2-word side: neither base
    with pytest.raises(gc.GoldError, match="neither index base fits"):
        gc.convert(t, g)
    t.write_text("a b c ||| x y z\n", encoding="utf-8")
    g.write_text("1-1\n", encoding="utf-8")  # ambiguous: read as 1-based, said so
    *_, stats = gc.convert(t, g)
    assert (stats["base"], stats["base_guessed"]) == (1, 1)
    done = subprocess.run([sys.executable, str(REPO / "bench" / "gold_convert.py"), str(t), str(g),
                           str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 0 and "warning: " in done.stderr and "--base 0" in done.stderr
