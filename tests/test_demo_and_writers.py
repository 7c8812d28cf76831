"""The demo recipe end to end through the CLI, and the plain writers' round trips."""

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from xdata.cli import app
from xdata.io import ConllSource, JsonlSource, ParallelSource, TsvSource, TextSource
from xdata.io.writers import to_hf_dataset, write_conll, write_jsonl, write_parallel, write_text, write_tsv

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "recipes" / "demo.py"


def test_demo_same_digest_across_batch_sizes_and_workers(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    r1 = runner.invoke(app, ["run", str(DEMO), "--out", str(a), "--batch-size", "7", "--workers", "1", "--seed", "1"])
    r2 = runner.invoke(app, ["run", str(DEMO), "--out", str(b), "--batch-size", "1000", "--workers", "2", "--seed", "1"])
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    ma = json.loads((a / "manifest.json").read_text())
    mb = json.loads((b / "manifest.json").read_text())
    assert ma["content_digest"] == mb["content_digest"] and ma["rows"] > 100
    assert ma["rejected_rows"] >= 2  # the shipped sample has bad lines on purpose: they land in rejects
    assert runner.invoke(app, ["verify", str(a)]).exit_code == 0
    r = runner.invoke(app, ["info", str(a), "--json"])
    assert json.loads(r.output)["rows"] == ma["rows"]


def test_writers_round_trip(tmp_path):
    df = pl.DataFrame({"src_lang": ["en", "en"], "src": ["Good morning.", "Water is life."],
                       "tgt_lang": ["sw", "sw"], "tgt": ["Habari za asubuhi.", "Maji ni uhai."]})
    write_tsv(df, tmp_path / "p.tsv")
    back = next(TsvSource(tmp_path / "p.tsv", "en", "sw").batches(10)).rows
    assert back["src"].to_list() == df["src"].to_list() and back["tgt"].to_list() == df["tgt"].to_list()
    write_parallel(df, tmp_path / "p.en", tmp_path / "p.sw")
    back = next(ParallelSource(tmp_path / "p.en", tmp_path / "p.sw", "en", "sw").batches(10)).rows
    assert back["tgt"].to_list() == df["tgt"].to_list()
    write_text(df.rename({"src": "text"}), tmp_path / "t.txt")
    assert next(TextSource(tmp_path / "t.txt", "en").batches(10)).rows["text"].to_list() == df["src"].to_list()
    write_jsonl(df, tmp_path / "p.jsonl")
    assert next(JsonlSource(tmp_path / "p.jsonl").batches(10)).rows["src"].to_list() == df["src"].to_list()
    tagged = pl.DataFrame({"lang": ["sw"], "tokens": [["Juma", "anaishi", "Nairobi"]], "tags": [["B-PER", "O", "B-LOC"]]})
    write_conll(tagged, tmp_path / "n.conll")
    back = next(ConllSource(tmp_path / "n.conll", "sw").batches(10)).rows
    assert back["tags"].to_list() == tagged["tags"].to_list()
    ds = to_hf_dataset(df)
    assert ds[1]["tgt"] == "Maji ni uhai."


def test_text_writer_refuses_newlines(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="contains a newline"):
        write_text(pl.DataFrame({"text": ["a\nb"]}), tmp_path / "x.txt")
