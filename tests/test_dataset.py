"""Dataset versions: layout, manifest, verify, diff, info, trace, Croissant, dataset card, HF loading."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from steps_for_tests import Coin
from xdata.cli import app
from xdata.dataset import diff, info, trace, verify
from xdata.io import ParallelSource
from xdata.pipeline import Pipeline, run

runner = CliRunner()


@pytest.fixture
def dataset(tmp_path):
    src = tmp_path / "c.en"
    tgt = tmp_path / "c.sw"
    src.write_text("".join(f"The child number {i} reads.\n" for i in range(120)), encoding="utf-8")
    tgt.write_text("".join(f"Mtoto namba {i} anasoma.\n" for i in range(120)), encoding="utf-8")
    pipe = Pipeline("demo-pairs", ParallelSource(src, tgt, "en", "sw"), [Coin(p=0.8)], license="cc0-1.0",
                    description="Test pairs.")
    out = tmp_path / "ds"
    m = run(pipe, out, seed=3, workers=1, batch_size=16, block_rows=40)  # small blocks: several shards
    return out, m


def test_layout_and_manifest_keys(dataset):
    out, m = dataset
    for key in ("name", "version", "content_digest", "shards", "steps", "inputs", "resources", "accounting"):
        assert key in m
    assert (out / "manifest.json").exists() and (out / "croissant.json").exists() and (out / "README.md").exists()
    assert len(m["shards"]) == 3 and sum(s["rows"] for s in m["shards"]) == m["rows"]
    assert all(set(s) >= {"path", "sha256", "rows"} for s in m["shards"])
    assert m["inputs"][0]["name"] == "c-c" and len(m["inputs"][0]["digest"]) == 32
    assert m["inputs"][0]["digest_algorithm"] == "xxh3-128"
    assert not list(out.rglob("*.tmp"))


def test_verify_intact_and_tampered(dataset):
    out, m = dataset
    assert verify(out).ok
    assert verify(out, deep=True).ok
    shard = out / m["shards"][1]["path"]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    rep = verify(out)
    assert rep.changed == [m["shards"][1]["path"]] and not rep.missing and not rep.extra


def test_verify_missing_and_extra(dataset):
    out, m = dataset
    (out / m["shards"][0]["path"]).unlink()
    (out / "data" / "part-99999.parquet").write_bytes(b"x")
    (out / "notes.txt").write_text("hi")
    rep = verify(out)
    assert rep.missing == [m["shards"][0]["path"]]
    assert rep.extra == ["data/part-99999.parquet", "notes.txt"]


def test_verify_cli_exit_codes_name_the_shard(dataset):
    out, m = dataset
    r = runner.invoke(app, ["verify", str(out)])
    assert r.exit_code == 0 and "ok" in r.output
    shard = out / m["shards"][2]["path"]
    shard.write_bytes(shard.read_bytes()[:-1] + b"\x00")
    r = runner.invoke(app, ["verify", str(out)])
    assert r.exit_code == 1 and f"changed: {m['shards'][2]['path']}" in r.output
    r = runner.invoke(app, ["verify", str(out.parent / "nothing")])
    assert r.exit_code == 2 and "not a dataset directory" in r.output


def test_unfinished_directory_is_not_a_dataset(dataset):
    out, _ = dataset
    (out / "manifest.json").unlink()
    r = runner.invoke(app, ["info", str(out)])
    assert r.exit_code == 2 and "no manifest.json" in r.output


def test_hf_load_dataset(dataset):
    import datasets

    out, m = dataset
    ds = datasets.load_dataset("parquet", data_dir=str(out / "data"), split="train")
    assert len(ds) == m["rows"]
    assert set(ds.column_names) >= {"id", "src", "tgt", "src_lang", "tgt_lang", "steps", "meta"}


def test_croissant_validates_offline(dataset):
    import mlcroissant as mlc

    out, m = dataset
    doc = json.loads((out / "croissant.json").read_text())
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert doc["rai:hasSyntheticData"] is False and doc["inLanguage"] == ["en", "sw"]
    assert doc["license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    ds = mlc.Dataset(jsonld=str(out / "croissant.json"))  # raises on validation errors
    assert ds.metadata.name == "demo-pairs"
    first = next(iter(ds.records("rows")))
    assert first["rows/id"].decode() == pl.read_parquet(out / m["shards"][0]["path"])["id"][0]


def test_dataset_card_front_matter(dataset):
    out, m = dataset
    text = (out / "README.md").read_text()
    front = text.split("---")[1]
    assert "language:\n- en\n- sw" in front and "license: cc0-1.0" in front and "task_categories:" in front
    assert "size_categories:\n- n<1K" in front
    assert "| en-sw |" in text and m["content_digest"] in text


def test_diff_added_removed_changed(tmp_path, dataset):
    out_a, _ = dataset
    src_b = tmp_path / "c.en"
    pipe_b = Pipeline("demo-pairs", ParallelSource(src_b, tmp_path / "c.sw", "en", "sw"), [Coin(p=0.5)])
    run(pipe_b, tmp_path / "b", seed=3, workers=1)
    d = diff(out_a, tmp_path / "b")
    assert d["added"] == 0 and d["removed"] > 0 and d["changed"] == 0
    assert d["removed_by"][0]["language"] == "en>sw"
    assert d["steps_only_in_a"] != d["steps_only_in_b"]
    same = diff(out_a, out_a)
    assert same["identical"] and same["added"] == same["removed"] == 0


def test_info_and_trace(dataset):
    out, m = dataset
    i = info(out)
    assert i["rows"] == m["rows"] and i["inputs"] == [f"c-c@{m['inputs'][0]['version']}"]
    row = pl.read_parquet(out / "data")
    rid = row["id"][0]
    lines = trace(out, rid)
    text = "\n".join(lines)
    assert rid in text and "input dataset 'c-c'" in text and "test-coin version 1" in text and "Seed: 3." in text
    rej = pl.read_parquet(out / "rejects")
    text = "\n".join(trace(out, rej["id"][0]))
    assert "REJECTED by step test-coin" in text and "coin above p" in text
    r = runner.invoke(app, ["trace", str(out), "nope"])
    assert r.exit_code == 2 and "no row with id 'nope'" in r.output


def test_text_pipeline_cli_run(tmp_path):
    recipe = tmp_path / "r.py"
    (tmp_path / "m.txt").write_text("uno\ndos\ntres\n", encoding="utf-8")
    recipe.write_text(
        "from xdata.pipeline import Pipeline\nfrom xdata.io import TextSource\nfrom steps_for_tests import Upper\n"
        "def build(ctx):\n    return Pipeline('m', TextSource(ctx.here('m.txt'), ctx.option('lang', 'es')), [Upper()])\n"
    )
    r = runner.invoke(app, ["run", str(recipe), "--out", str(tmp_path / "o"), "--workers", "1", "--set", "lang=es"])
    assert r.exit_code == 0, r.output
    rows = pl.read_parquet(tmp_path / "o" / "data")
    assert rows["text"].to_list() == ["UNO", "DOS", "TRES"]
    r = runner.invoke(app, ["run", str(tmp_path / "missing.py")])
    assert r.exit_code == 2 and "recipe not found" in r.output
