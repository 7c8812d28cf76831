"""A dataset written with manifest schema 2 (this release's) stays readable after any later change.

The fixture in tests/fixtures/dataset-schema2 is frozen: never regenerate it. If a change makes
this test fail, the change broke the datasets users already have.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from xdata.cli import app
from xdata.dataset import diff, info, read_manifest, trace, verify

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "dataset-schema2"


def test_frozen_schema_2_dataset_verifies_and_reads(tmp_path):
    d = tmp_path / "ds"
    shutil.copytree(FIXTURE, d)
    m = read_manifest(d)
    assert m["schema_version"] == 2 and m["rows"] == 2 and m["rejected_rows"] == 1
    assert verify(d).ok and verify(d, deep=True).ok
    i = info(d)
    assert i["rows"] == 2 and i["rows_per_language"] == {"en-sw": 2}
    row_id = json.loads((d / "manifest.json").read_text())["shards"][0]["path"]
    assert row_id == "data/part-00000.parquet"
    import polars as pl

    first = pl.read_parquet(d / "data" / "part-00000.parquet")["id"][0]
    assert trace(d, first)[0].startswith(f"Row {first} of dataset 'fixture'")
    assert diff(d, d)["identical"] is True
    r = CliRunner().invoke(app, ["verify", str(d), "--deep"])
    assert r.exit_code == 0, r.output
