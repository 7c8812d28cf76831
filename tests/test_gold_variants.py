"""bench/gold_variants.py: the harder gold sets carry the gold links exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import gold_variants as gv  # noqa: E402

GOLD = REPO.parent / "shared" / "data" / "alignment" / "en-de"


@pytest.fixture(scope="module")
def pairs():
    return gv.read_gold(GOLD)[:60]


def test_reversing_twice_gives_the_gold_back_and_every_link_points_at_the_same_word(pairs):
    rev = gv.reversed_pairs(pairs)
    assert gv.reversed_pairs(rev) == pairs
    for (_, t, sure, _), (_, rt, rsure, _) in zip(pairs, rev):
        assert {(i, t[j]) for i, j in sure} == {(i, rt[j]) for i, j in rsure}


def test_long_pairs_join_four_pairs_and_keep_every_link_on_its_words(pairs):
    joined = gv.long_pairs(pairs)
    assert len(joined) == 15
    s, t, sure, poss = joined[1]
    parts = pairs[4:8]
    assert s == [w for p in parts for w in p[0]] and t == [w for p in parts for w in p[1]]
    assert len(sure) == sum(len(p[2]) for p in parts) and len(poss) == sum(len(p[3]) for p in parts)
    assert {(s[i], t[j]) for i, j in sure} == {(p[0][i], p[1][j]) for p in parts for i, j in p[2]}


def test_written_variants_read_back_the_same(pairs, tmp_path):
    rev = gv.reversed_pairs(pairs)
    gv.write_gold(tmp_path / "v", rev)  # the format bench_align reads
    assert gv.read_gold(tmp_path / "v") == [(s, t, a, b - a) for s, t, a, b in rev]
