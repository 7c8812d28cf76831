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
    assert info["engine"] == "lexicon" and info["quality"] == "baseline" and info["decode"] == "greedy"
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
    with pytest.raises(ConfigError, match="unknown engine 'hf'; available here: lexicon"):
        BackTranslate(src_lang="en", engine="hf", lexicon="x")
    with pytest.raises(ConfigError, match="needs lexicon="):
        BackTranslate(src_lang="en")


def test_cli(tmp_path, mono):
    r = CliRunner().invoke(app, ["backtranslate", "--engine", "lexicon", "--lexicon", str(SEED_LEX), "--src-lang", "en",
                                 "--tgt-lang", "sw", "--in", str(mono), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert r.exit_code == 0, r.output
    rows = pl.read_parquet(tmp_path / "o" / "data")
    assert rows["src"][0] == "Child anasoma book shuleni."
