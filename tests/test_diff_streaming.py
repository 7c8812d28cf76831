"""The bounded-memory diff (xdata.dataset.diffing) gives exactly what ops.diff gives."""

import json
import shutil

import polars as pl
import pytest

from steps_for_tests import Coin, Duplicate, Upper
from xdata.dataset import diffing, ops, read_manifest
from xdata.errors import InputError
from xdata.io import JsonlSource, ParallelSource, TextSource
from xdata.pipeline import Pipeline, run


def _text_file(path, n):
    # every third line has no letters: Upper leaves it unchanged, so only some rows change
    path.write_text("".join(f"line {i} of the text\n" if i % 3 else f"{i} {i * 7}\n" for i in range(n)),
                    encoding="utf-8")
    return path


def _text(tmp_path, name, steps, *, seed=1, lang="sw"):
    """A text dataset from the 300 lines of ``m.txt`` (the ``text_src`` fixture)."""
    src = tmp_path / "m.txt"
    out = tmp_path / name
    run(Pipeline("m", TextSource(src, lang, name="m"), steps), out, seed=seed, workers=1, batch_size=16,
        block_rows=64)
    return out


@pytest.fixture
def text_src(tmp_path):
    return _text_file(tmp_path / "m.txt", 300)


def _check(a, b, **kw):
    """Both diffs agree, for the default buckets and for many tiny buckets; returns the result."""
    want = ops.diff_in_memory(a, b)
    assert diffing.diff(a, b, **kw) == want
    assert diffing.diff(a, b, bucket_rows=3) == want
    return want


def test_identical(text_src, tmp_path):
    a = _text(tmp_path, "a", [Coin(p=0.7)])
    d = _check(a, a)
    assert d["identical"] and d["added"] == d["removed"] == d["changed"] == 0
    assert d["added_by"] == d["removed_by"] == d["changed_by"] == [] and d["added_ids"] == []


def test_added_and_removed_many_buckets(text_src, tmp_path):
    a = _text(tmp_path, "a", [Coin(p=0.6)], seed=1)
    b = _text(tmp_path, "b", [Coin(p=0.6)], seed=2)
    d = _check(a, b, bucket_rows=10)
    assert not d["identical"] and d["changed"] == 0
    assert d["added"] > 20 and d["removed"] > 20  # the 20 sample ids come from several buckets
    assert len(d["added_ids"]) == len(d["removed_ids"]) == 20
    # the samples are the first added rows in B's order and the first removed rows in A's order
    rows_b = ops.load_rows(b, ["id"])["id"].to_list()
    ids_a = set(ops.load_rows(a, ["id"])["id"].to_list())
    assert d["added_ids"] == [i for i in rows_b if i not in ids_a][:20]
    assert d["added"] == sum(i not in ids_a for i in rows_b)


def test_only_added_only_removed(text_src, tmp_path):
    a = _text(tmp_path, "a", [Coin(p=0.5)], seed=4)
    full = _text(tmp_path, "full", [], seed=4)
    d = _check(a, full)
    assert d["added"] > 0 and d["removed"] == d["changed"] == 0
    assert d["added_by"] == [{"step": "(source)", "language": "sw", "rows": d["added"]}]
    r = _check(full, a)
    assert r["removed"] == d["added"] and r["added"] == 0 and r["removed_ids"] == d["added_ids"]
    assert r["steps_only_in_b"] and not r["steps_only_in_a"]


def test_changed_rows(text_src, tmp_path):
    a = _text(tmp_path, "a", [Coin(p=0.8)], seed=1)
    b = _text(tmp_path, "b", [Coin(p=0.8), Upper()], seed=1)
    d = _check(a, b, bucket_rows=16)
    assert d["added"] == d["removed"] == 0
    rows = ops.load_rows(b, ["text"])["text"].to_list()
    assert d["changed"] == sum(any(ch.isalpha() for ch in t) for t in rows) > 0
    assert [g["step"].split("@")[0] for g in d["changed_by"]] == ["test-upper"]


def test_expanding_step_and_mixed_changes(text_src, tmp_path):
    a = _text(tmp_path, "a", [Coin(p=0.7)], seed=1)
    b = _text(tmp_path, "b", [Coin(p=0.7), Duplicate(n=2), Upper()], seed=3)
    d = _check(a, b, bucket_rows=25)
    assert d["added"] > 0 and d["removed"] > 0
    assert {g["step"].split("@")[0] for g in d["added_by"]} == {"test-upper"}


def test_pair_kind(tmp_path):
    src, tgt = tmp_path / "c.en", tmp_path / "c.sw"
    src.write_text("".join(f"The child number {i} reads.\n" for i in range(200)), encoding="utf-8")
    tgt.write_text("".join(f"Mtoto namba {i} anasoma.\n" for i in range(200)), encoding="utf-8")

    def build(name, steps, seed):
        out = tmp_path / name
        run(Pipeline("pairs", ParallelSource(src, tgt, "en", "sw"), steps), out, seed=seed, workers=1,
            batch_size=16, block_rows=50)
        return out

    a = build("a", [Coin(p=0.7)], 1)
    b = build("b", [Coin(p=0.7), Upper(column="tgt")], 2)
    d = _check(a, b, bucket_rows=8)
    assert d["added"] and d["removed"] and d["changed"]
    assert {g["language"] for g in d["added_by"] + d["removed_by"] + d["changed_by"]} == {"en>sw"}


def test_tagged_kind_and_kind_change(tmp_path, text_src):
    recs = [{"lang": "yo" if i % 2 else "ha", "tokens": [f"w{i}", "b", "c"], "tags": ["NOUN", "X", "VERB" if i % 5 else "ADJ"]}
            for i in range(150)]
    p = tmp_path / "t.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")

    def build(name, steps, seed):
        out = tmp_path / name
        run(Pipeline("tags", JsonlSource(p), steps), out, seed=seed, workers=1, batch_size=16, block_rows=40)
        return out

    a = build("a", [Coin(p=0.6)], 1)
    b = build("b", [Coin(p=0.6)], 5)
    d = _check(a, b, bucket_rows=5)
    assert d["added"] and d["removed"]
    assert {g["language"] for g in d["added_by"]} == {"ha", "yo"}
    # a text dataset against a tagged one: no shared ids, every row added / removed
    t = _text(tmp_path, "text", [], seed=1)
    x = _check(t, a)
    assert x["added"] == read_manifest(a)["rows"] and x["removed"] == read_manifest(t)["rows"]


def test_duplicate_ids_and_shard_missing_a_column(text_src, tmp_path):
    """Rows with the same id (joined pairwise, as ops.diff does) and a shard without a content column."""
    a = _text(tmp_path, "a", [Coin(p=0.9)], seed=1)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    m = read_manifest(b)
    first = b / m["shards"][0]["path"]
    df = pl.read_parquet(first)
    n = df.height // 2
    # duplicate half of the first shard, and alter the text of some duplicates
    dup = df.head(n).with_columns(pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.col("text") + "!")
                                  .otherwise(pl.col("text")).alias("text"))
    pl.concat([df, dup]).write_parquet(first)
    last = b / m["shards"][-1]["path"]
    pl.read_parquet(last).drop("lang").write_parquet(last)  # lang becomes null there
    d = _check(a, b, bucket_rows=4)
    assert d["changed"] >= (n + 1) // 2
    assert any(g["language"] is None for g in d["changed_by"])


def test_temporary_files_removed_also_on_error(text_src, tmp_path):
    a = _text(tmp_path, "a", [Coin(p=0.6)], seed=1)
    b = _text(tmp_path, "b", [Coin(p=0.6)], seed=2)
    spill = tmp_path / "spill"
    spill.mkdir()
    diffing.diff(a, b, bucket_rows=10, tmp_dir=spill)
    assert list(spill.iterdir()) == []
    shard = b / read_manifest(b)["shards"][-1]["path"]
    shard.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="part-.*not a readable Parquet shard"):
        diffing.diff(a, b, bucket_rows=10, tmp_dir=spill)
    assert list(spill.iterdir()) == []
    with pytest.raises(ValueError):
        diffing.diff(a, a, bucket_rows=0)
