"""`--update-from`: unchanged input blocks are taken over from the previous version; the result is
byte-identical to a full rebuild (added, removed and edited lines; a changed step parameter)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xdata.errors import ConfigError
from xdata.filters import Dedup
from xdata.io import TextSource
from xdata.normalize.step import Normalize
from xdata.pipeline import Pipeline, run

LINES = [f"Sentence number {i} of a growing corpus" for i in range(1000)]


def _run(corpus: Path, out: Path, steps=None, prev: Path | None = None, workers: int = 1) -> dict:
    steps = steps if steps is not None else [Normalize(form="NFKC"), Normalize()]
    return run(Pipeline("grow", TextSource(corpus, "en", name="corpus"), steps), out, workers=workers, block_rows=100,
               update_from=prev)


def _write(p: Path, lines: list[str]) -> Path:
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("change, reused", [
    ("append", 10),   # 1000 lines + 10: the ten full blocks are the old ones
    ("edit", 9),      # one line of block 4 edited
    ("remove", 4),    # a line of block 4 removed: every later block shifts
])
def test_update_equals_a_full_rebuild(tmp_path, change, reused):
    corpus = _write(tmp_path / "c.txt", LINES)
    v1 = tmp_path / "v1"
    _run(corpus, v1)
    new = list(LINES)
    if change == "append":
        new += [f"A new line {i}" for i in range(10)]
    elif change == "edit":
        new[450] = "An edited line"
    else:
        del new[450]
    _write(corpus, new)
    up = _run(corpus, tmp_path / "v2", prev=v1, workers=2)
    full = _run(corpus, tmp_path / "full")
    assert up["content_digest"] == full["content_digest"] and up["version"] == full["version"]
    no_time = [{k: v for k, v in a.items() if k != "seconds"} for a in full["accounting"]]
    assert up["shards"] == full["shards"] and [{k: v for k, v in a.items() if k != "seconds"}
                                               for a in up["accounting"]] == no_time
    assert up["run"]["reused_blocks"] == reused and full["run"]["reused_blocks"] == 0
    assert up["parent_version"] == json.loads((v1 / "manifest.json").read_text())["version"]
    assert full["parent_version"] is None


def test_a_changed_step_or_a_global_step_recomputes_everything(tmp_path):
    corpus = _write(tmp_path / "c.txt", LINES)
    v1 = tmp_path / "v1"
    _run(corpus, v1)
    other = _run(corpus, tmp_path / "v2", steps=[Normalize(form="NFC"), Normalize()], prev=v1)
    assert other["run"]["reused_blocks"] == 0
    assert other["content_digest"] == _run(corpus, tmp_path / "f2", steps=[Normalize(form="NFC"), Normalize()])["content_digest"]
    g1 = _run(corpus, tmp_path / "g1", steps=[Normalize(), Dedup()])
    g2 = _run(corpus, tmp_path / "g2", steps=[Normalize(), Dedup()], prev=tmp_path / "g1")
    assert g2["run"]["reused_blocks"] == 0 and g2["content_digest"] == g1["content_digest"]


def test_update_from_a_foreign_or_changed_version_is_refused(tmp_path):
    corpus = _write(tmp_path / "c.txt", LINES)
    v1 = tmp_path / "v1"
    _run(corpus, v1)
    foreign = tmp_path / "foreign"
    run(Pipeline("other", TextSource(corpus, "en"), [Normalize()]), foreign, workers=1)
    with pytest.raises(ConfigError, match="is not a version of this dataset: it is 'other'"):
        _run(corpus, tmp_path / "x", prev=foreign)
    shard = v1 / "data" / "part-00003.parquet"
    shard.write_bytes(shard.read_bytes()[:-3] + b"abc")
    with pytest.raises(ConfigError, match="its files were changed since it was written: changed: data/part-00003"):
        _run(corpus, tmp_path / "y", prev=v1)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    m = json.loads((v1 / "manifest.json").read_text())
    assert len(m["blocks"]) == 10 and m["blocks"][0]["input"]
