"""Pipeline validation, the local executor, determinism, accounting."""

import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_for_tests import Coin, Duplicate, NeedsTokens, SeenOnce, Upper, UpperParams
from xdata.dataset import load_rows
from xdata.errors import ConfigError, PipelineError
from xdata.io import TextSource
from xdata.pipeline import Identity, Pipeline, run


@pytest.fixture
def corpus(tmp_path):
    lines = [f"sentence number {i % 37} in Kiswahili na English {i}" for i in range(300)]
    lines[5] = lines[4]  # a duplicate for the global step
    p = tmp_path / "corpus.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_unknown_parameter_is_rejected_with_valid_options():
    with pytest.raises(ConfigError, match=r"has no parameter\(s\) 'colum'; valid parameters: column"):
        Upper(colum="text")


def test_wrong_parameter_type_is_rejected():
    with pytest.raises(ConfigError, match="parameter 'p' must be float"):
        Coin(p="half")


def test_params_object_or_keywords():
    assert Upper(UpperParams("text")).params.column == "text"
    with pytest.raises(ConfigError):
        Upper(UpperParams(), column="x")


def test_step_reading_missing_column_is_rejected_before_data_moves(corpus, tmp_path):
    pipe = Pipeline("p", TextSource(corpus, "en"), [NeedsTokens()])
    with pytest.raises(PipelineError, match="takes tagged records, but receives text records"):
        run(pipe, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


def test_signature_changes_with_non_default_params():
    assert Coin().signature() == Coin(p=0.5).signature()
    assert Coin().signature() != Coin(p=0.3).signature()
    assert Coin().signature().startswith("test-coin@1:")


def make(corpus):
    return Pipeline("det", TextSource(corpus, "en"), [Upper(), Coin(p=0.6), Duplicate(n=2), SeenOnce()])


def test_same_output_bytes_across_batch_sizes_and_workers(corpus, tmp_path):
    a = run(make(corpus), tmp_path / "a", seed=7, batch_size=300, workers=1, block_rows=100)
    b = run(make(corpus), tmp_path / "b", seed=7, batch_size=7, workers=2, block_rows=100)
    c = run(make(corpus), tmp_path / "c", seed=7, batch_size=64, workers=2, block_rows=100)
    assert a["content_digest"] == b["content_digest"] == c["content_digest"]
    assert [s["sha256"] for s in a["shards"]] == [s["sha256"] for s in b["shards"]] == [s["sha256"] for s in c["shards"]]
    assert a["version"] == b["version"] and len(a["shards"]) == 3
    # Without a global step the workers write the shards themselves: same bytes again.
    pipe = lambda: Pipeline("det", TextSource(corpus, "en"), [Upper(), Coin(p=0.6), Duplicate(n=2)])  # noqa: E731
    e = run(pipe(), tmp_path / "e", seed=7, batch_size=300, workers=1, block_rows=100)
    f = run(pipe(), tmp_path / "f", seed=7, batch_size=11, workers=2, block_rows=100)
    assert e["content_digest"] == f["content_digest"]
    assert [s["sha256"] for s in e["shards"]] == [s["sha256"] for s in f["shards"]]
    d = run(make(corpus), tmp_path / "d", seed=8, batch_size=300, workers=1)
    assert d["content_digest"] != a["content_digest"]


def test_accounting_and_rejects(corpus, tmp_path):
    m = run(make(corpus), tmp_path / "a", seed=7, batch_size=50, workers=1)
    acc = {a["step"].split("@")[0]: a for a in m["accounting"]}
    assert acc["read"] == {"step": "read", "in": 300, "out": 300, "rejected": 0}
    coin = acc["test-coin"]
    assert coin["in"] == 300 and coin["in"] == coin["out"] + coin["rejected"] and 0 < coin["rejected"] < 300
    dup = acc["test-dup"]
    assert dup["out"] == 2 * dup["in"]
    seen = acc["test-seen"]
    assert seen["in"] == seen["out"] + seen["rejected"] and seen["rejected"] > 0
    rejects = pl.read_parquet(tmp_path / "a" / "rejects")
    assert rejects.height == m["rejected_rows"] == coin["rejected"] + seen["rejected"]
    assert set(rejects["reason"]) == {"coin above p", "duplicate text"}
    rec = json.loads(rejects["record"][0])
    assert rec["text"] == rec["text"].upper()
    rows = load_rows(tmp_path / "a")
    assert rows.height == m["rows"] == seen["out"]
    assert rows["coin"].max() < 0.6  # scores stay as columns
    assert all(len(p) == 1 for p in rows["parents"].to_list())
    assert rows["steps"][0].to_list() == [s["signature"] for s in m["steps"]]


def test_row_ids_are_stable_and_content_derived(corpus, tmp_path):
    m1 = run(Pipeline("i", TextSource(corpus, "en"), [Identity()]), tmp_path / "a", workers=1)
    m2 = run(Pipeline("i", TextSource(corpus, "en"), [Identity()]), tmp_path / "b", workers=1, batch_size=3)
    ids1, ids2 = load_rows(tmp_path / "a")["id"], load_rows(tmp_path / "b")["id"]
    assert ids1.to_list() == ids2.to_list() and ids1.n_unique() == 300
    corpus.write_text(corpus.read_text().replace("sentence number 0 ", "sentence number zero "), encoding="utf-8")
    run(Pipeline("i", TextSource(corpus, "en"), [Identity()]), tmp_path / "c", workers=1)
    ids3 = load_rows(tmp_path / "c")["id"]
    changed = sum(a != b for a, b in zip(ids1, ids3))
    assert changed == 300 // 37 + 1  # exactly the edited rows got new ids
    assert m1["content_digest"] == m2["content_digest"]


def test_reader_rejects_are_accounted(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"good\n\nbad\xff\nfine\n")
    m = run(Pipeline("r", TextSource(p, "en", on_error="reject"), [Identity()]), tmp_path / "o", workers=1)
    assert m["accounting"][0] == {"step": "read", "in": 4, "out": 2, "rejected": 2}
    rej = pl.read_parquet(tmp_path / "o" / "rejects")
    assert rej["step"].to_list() == ["read", "read"] and rej["src_row"].to_list() == [1, 2]


def test_finished_dataset_is_not_overwritten_silently(corpus, tmp_path):
    pipe = Pipeline("i", TextSource(corpus, "en"), [Identity()])
    run(pipe, tmp_path / "o", workers=1)
    with pytest.raises(ConfigError, match="already holds a finished dataset"):
        run(pipe, tmp_path / "o", workers=1)
    run(pipe, tmp_path / "o", workers=1, overwrite=True)


def test_directory_without_manifest_is_refused_and_untouched(corpus, tmp_path):
    """A folder that is not an xdata dataset is never written into or cleaned, even if it has
    a data/ folder (xdata's own unfinished runs live in a hidden sibling, not at --out)."""
    out = tmp_path / "o"
    (out / "data").mkdir(parents=True)
    (out / "data" / "part-00000.parquet").write_bytes(b"half-written")
    with pytest.raises(ConfigError, match="not an xdata dataset"):
        run(Pipeline("i", TextSource(corpus, "en"), [Identity()]), out, workers=1)
    assert (out / "data" / "part-00000.parquet").read_bytes() == b"half-written"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != corpus.name) == ["o"]  # refused before locking


def test_partial_sibling_of_a_killed_run_is_removed_by_the_next_run(corpus, tmp_path):
    out = tmp_path / "o"
    stale = tmp_path / ".o.xdata-partial-999999"
    (stale / "data").mkdir(parents=True)
    (stale / "data" / "part-00000.parquet").write_bytes(b"half-written")
    m = run(Pipeline("i", TextSource(corpus, "en"), [Identity()]), out, workers=1)
    assert m["rows"] == 300 and not stale.exists()
    from xdata.dataset import verify

    assert verify(out).ok


def test_bad_executor_settings(corpus, tmp_path):
    pipe = Pipeline("i", TextSource(corpus, "en"), [Identity()])
    with pytest.raises(ConfigError, match="batch size must be at least 1"):
        run(pipe, tmp_path / "o", batch_size=0)
    with pytest.raises(ConfigError, match="unknown executor 'spark'"):
        run(pipe, tmp_path / "o", executor="spark")


@given(st.lists(st.text(), min_size=1, max_size=30), st.text(max_size=10))
@settings(max_examples=60, deadline=None)
def test_vectorized_row_hash_equals_xxhash_per_row(values, salt):
    """Ids and row digests are computed for a whole column at once (polars-hash); they must be
    byte-identical to XXH3-128 of each value, so ids never depend on the code path."""
    import polars as pl
    import xxhash

    from xdata.hashing import hash_strings, hex_prefix, xxh3_128_rows

    d = xxh3_128_rows(pl.Series(values, dtype=pl.String), salt=salt)
    assert d.tobytes() == b"".join(xxhash.xxh3_128_digest((salt + "\x1f" + v).encode("utf-8")) for v in values)
    assert hex_prefix(d).to_list() == hash_strings(salt, values)


def test_native_pipelines_run_as_threads_with_the_same_bytes(corpus, tmp_path, monkeypatch):
    """Parsing + Identity are native (polars): with workers > 1 the local executor runs blocks as
    threads. The bytes must equal the in-process run and the process-pool run."""
    from xdata.pipeline.executors import BatchRunner, LocalExecutor

    used = []
    real = LocalExecutor._map_threads
    monkeypatch.setattr(LocalExecutor, "_map_threads",
                        staticmethod(lambda *a: (used.append(True), (yield from real(*a)))[1]))
    a = run(Pipeline("n", TextSource(corpus, "en"), [Identity()]), tmp_path / "a", workers=1, block_rows=70)
    b = run(Pipeline("n", TextSource(corpus, "en"), [Identity()]), tmp_path / "b", workers=2, block_rows=70)
    assert used, "a native pipeline with 2 workers should run in threads"
    monkeypatch.setattr(BatchRunner, "native", property(lambda self: False))
    c = run(Pipeline("n", TextSource(corpus, "en"), [Identity()]), tmp_path / "c", workers=2, block_rows=70)
    assert a["content_digest"] == b["content_digest"] == c["content_digest"]
    assert [s["sha256"] for s in a["shards"]] == [s["sha256"] for s in b["shards"]] == [s["sha256"] for s in c["shards"]]
    assert len(a["shards"]) == 5 and sum(s["rows"] for s in a["shards"]) == 300
    used.clear()
    run(Pipeline("n", TextSource(corpus, "en"), [Upper()]), tmp_path / "d", workers=2, block_rows=70)
    assert not used  # a Python step goes to processes


@given(st.lists(st.sampled_from([b"a", b"bc", b"", b"\r", b"\xff", b" x y"]), max_size=40),
       st.booleans(), st.integers(1, 7))
@settings(max_examples=80, deadline=None)
def test_line_blocks_cut_like_reading_line_by_line(parts, trailing_newline, rows):
    import io

    from xdata.io.readers import line_blocks

    data = b"\n".join(parts) + (b"\n" if trailing_newline and parts else b"")
    expected = list(io.BytesIO(data))
    blocks = list(line_blocks(io.BytesIO(data), rows, piece=3))
    assert [line for b in blocks for line in b] == expected
    assert [len(b) for b in blocks] == [len(list(b)) for b in blocks]
    assert all(len(b) == rows for b in blocks[:-1]) and sum(len(b) for b in blocks) == len(expected)
