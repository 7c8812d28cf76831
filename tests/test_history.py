"""Dataset histories: ROOT/NAME/VERSION/ with a latest pointer, `xdata log`, `xdata gc`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.dataset import verify
from xdata.dataset.history import gc, log, pointers
from xdata.errors import ConfigError, InputError
from xdata.io import TextSource
from xdata.pipeline import Identity, Pipeline, run


def _run(corpus: Path, root: Path, seed: int = 0) -> dict:
    return run(Pipeline("h", TextSource(corpus, "en"), [Identity()]), root, workers=1, seed=seed, history=True)


def test_versions_accumulate_latest_moves_and_log_lists_them(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("one line\nanother line\n", encoding="utf-8")
    root = tmp_path / "hist"
    a = _run(corpus, root)
    assert (root / a["version"] / "manifest.json").exists() and verify(root / a["version"]).ok
    assert os.readlink(root / "latest") == a["version"] and a["parent_version"] is None
    with open(corpus, "a", encoding="utf-8") as fh:
        fh.write("a third line\n")
    b = _run(corpus, root)
    assert b["version"] != a["version"] and b["parent_version"] == a["version"]
    assert os.readlink(root / "latest") == b["version"]
    again = _run(corpus, root)  # the same fingerprint: kept, not duplicated
    assert again["version"] == b["version"] and len(log(root)) == 2
    entries = log(root)
    assert [e["version"] for e in entries] == [a["version"], b["version"]]
    assert entries[1]["pointers"] == ["latest"] and entries[1]["rows"] == 3 and entries[1]["parent_version"] == a["version"]
    r = CliRunner().invoke(app, ["log", str(root)])
    assert r.exit_code == 0 and f"{b['version']}" in r.output and "<- latest" in r.output


def test_gc_removes_only_unpointed_versions_after_a_dry_run(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("one line\n", encoding="utf-8")
    root = tmp_path / "hist"
    a, b, c = (_run(corpus, root, seed=s) for s in (1, 2, 3))
    os.symlink(a["version"], root / "stable")  # a tag kept by hand
    assert pointers(root) == {"latest": c["version"], "stable": a["version"]}
    r = CliRunner().invoke(app, ["gc", str(root)])
    assert r.exit_code == 0 and f"would delete (pass --delete): {b['version']}" in r.output
    assert (root / b["version"]).exists()
    assert gc(root, delete=True) == [b["version"]]
    assert not (root / b["version"]).exists() and (root / a["version"]).exists() and (root / c["version"]).exists()


def test_history_refuses_a_foreign_directory_and_log_a_plain_one(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("x y\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(ConfigError, match="is not an xdata dataset history"):
        _run(corpus, mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    with pytest.raises(InputError, match="not a dataset history"):
        log(mine)
