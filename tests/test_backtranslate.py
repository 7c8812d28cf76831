"""Back-translation with the lexicon engine (the embedded baseline)."""

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from xdata.backtranslate.step import BackTranslate
from xdata.cli import app
from xdata.errors import ConfigError
from xdata.io import TextSource
from xdata.pipeline import Pipeline, run

ROOT = Path(__file__).resolve().parents[1]
SEED_LEX = ROOT / "lexicons" / "seed" / "en-sw.tsv"


@pytest.fixture
def mono(tmp_path):
    p = tmp_path / "mono.sw"
    p.write_text("Mtoto anasoma kitabu shuleni.\nMaji ni uhai.\nWatoto wanakula chakula na kunywa maziwa.\n" * 20,
                 encoding="utf-8")
    return p


def test_lexicon_engine_pairs_and_provenance(tmp_path, mono):
    m = run(Pipeline("bt", TextSource(mono, "sw"), [BackTranslate(src_lang="en", lexicon=str(SEED_LEX))]),
            tmp_path / "o", workers=1)
    rows = pl.read_parquet(tmp_path / "o" / "data")
    assert m["kind"] == "pair" and rows.height == 60
    first = rows.row(1, named=True)
    assert (first["src_lang"], first["tgt_lang"], first["tgt"]) == ("en", "sw", "Maji ni uhai.")
    assert first["src"] == "Water ni uhai."  # 'ni' is not in the seed lexicon: copied
    info = json.loads(first["meta"])["backtranslate"]
    assert info["engine"] == "lexicon" and info["quality"] == "baseline" and info["decoding"]["method"] == "greedy"
    assert m["resources"]["backtranslate:lexicon"] == info["lexicon_digest"]


def test_sampling_n_hypotheses_reproducible_across_batches(tmp_path, mono):
    def go(out, bs, w):
        step = BackTranslate(src_lang="en", lexicon=str(SEED_LEX), decode="sample", n=3, tag="<BT>")
        return run(Pipeline("bt", TextSource(mono, "sw"), [step]), tmp_path / out, seed=4, batch_size=bs, workers=w)

    a, b = go("a", 100, 1), go("b", 7, 2)
    assert a["content_digest"] == b["content_digest"]
    rows = pl.read_parquet(tmp_path / "a" / "data")
    assert rows.height == 180 and rows["id"].n_unique() == 180
    assert all(s.startswith("<BT> ") for s in rows["src"])
    assert all(len(p) == 1 for p in rows["parents"].to_list())
    acc = {x["step"].split("@")[0]: x for x in a["accounting"]}
    assert acc["backtranslate"]["in"] == 60 and acc["backtranslate"]["out"] == 180


def test_bad_settings():
    with pytest.raises(ConfigError, match="unknown engine 'marian'; expected one of hf, ct2, lexicon"):
        BackTranslate(src_lang="en", engine="marian", lexicon="x")
    with pytest.raises(ConfigError, match="n .hypotheses per input. must be at least 1"):
        BackTranslate(src_lang="en", lexicon="x", n=0)
    with pytest.raises(ConfigError, match="needs lexicon="):
        BackTranslate(src_lang="en")


def test_cli(tmp_path, mono):
    r = CliRunner().invoke(app, ["backtranslate", "--engine", "lexicon", "--lexicon", str(SEED_LEX), "--src-lang", "en",
                                 "--tgt-lang", "sw", "--in", str(mono), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert r.exit_code == 0, r.output
    rows = pl.read_parquet(tmp_path / "o" / "data")
    assert rows["src"][0] == "Child anasoma book shuleni."


def test_lexicon_engine_beam_gives_alternative_readings(tmp_path):
    lex = tmp_path / "en-xx.txt"
    lex.write_text("water maji\nwaters maji\nlife uhai\n", encoding="utf-8")
    mono = tmp_path / "m.txt"
    mono.write_text("maji ni uhai\n", encoding="utf-8")
    run(Pipeline("bt", TextSource(mono, "sw"), [BackTranslate(src_lang="en", lexicon=str(lex), decode="beam", n=2)]),
        tmp_path / "o", workers=1, seed=0)
    rows = pl.read_parquet(tmp_path / "o" / "data")
    assert sorted(rows["src"].to_list()) == ["water ni life", "waters ni life"]


# -- filters ------------------------------------------------------------------------------
def test_repetition_and_copy_scores():
    from xdata.backtranslate.filters import copy_overlap, longest_repeat

    assert longest_repeat("the the the the cat".split()) == 4
    assert longest_repeat("a b a b a b c".split()) == 3
    assert longest_repeat("one two three".split()) == 1
    assert longest_repeat([]) == 0
    assert copy_overlap("Maji ni uhai.", "maji ni uhai") == 1.0
    assert copy_overlap("Water is life.", "Maji ni uhai.") == 0.0
    assert copy_overlap("Maji is life", "Maji ni uhai.") == 1 / 3


def _pairs(tmp_path, rows):
    p = tmp_path / "pairs.tsv"
    p.write_text("".join(f"{a}\t{b}\n" for a, b in rows), encoding="utf-8")
    from xdata.io import TsvSource

    return TsvSource(p, "en", "sw")


def test_bt_filters_reject_with_reasons_and_keep_scores(tmp_path):
    from xdata.backtranslate.filters import CopyFilter, RepetitionFilter

    src = _pairs(tmp_path, [("Water is life.", "Maji ni uhai."), ("Maji ni uhai.", "Maji ni uhai."),
                            ("the the the the the", "Mtoto anasoma."), ("Maji ni water life", "Maji ni uhai")])
    run(Pipeline("f", src, [CopyFilter(max_overlap=0.5), RepetitionFilter(max_repeat=3)]), tmp_path / "o", workers=1)
    rows = pl.read_parquet(tmp_path / "o" / "data")
    rej = pl.read_parquet(tmp_path / "o" / "rejects").sort("src_row")
    assert rows["src"].to_list() == ["Water is life."] and rows["bt_copy"][0] == 0.0 and rows["bt_repeat"][0] == 1
    assert rej["reason"].to_list() == ["copy of the input", "degenerate repetition: an n-gram repeated 5 times",
                                       "copy overlap >= 0.5"]


def test_round_trip_chrf_with_a_forward_lexicon(tmp_path):
    from xdata.backtranslate.filters import RoundTripFilter

    src = _pairs(tmp_path, [("Water", "Maji"), ("Book", "Maji"), ("Water", "Kitabu")])
    step = RoundTripFilter(engine="lexicon", lexicon=str(SEED_LEX), min_chrf=50.0, cache=str(tmp_path / "c.sqlite"))
    m = run(Pipeline("rt", src, [step]), tmp_path / "o", workers=1)
    rows = pl.read_parquet(tmp_path / "o" / "data")
    rej = pl.read_parquet(tmp_path / "o" / "rejects")
    assert rows["src"].to_list() == ["Water"] and rows["bt_rt_chrf"][0] == 100.0
    assert rej.height == 2 and all(r.startswith("round-trip chrF ") for r in rej["reason"])
    assert m["resources"][next(k for k in m["resources"] if k.startswith("bt-roundtrip"))]
