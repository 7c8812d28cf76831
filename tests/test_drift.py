"""`xdata diff A B --stats`: per-language drift with thresholds a hook can stop a version on."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from xdata.cli import app
from xdata.codeswitch.step import CodeSwitch
from xdata.drift import Thresholds, drift, profile
from xdata.io import FrameSource
from xdata.pipeline import Identity, Pipeline, run

LEX = Path(__file__).resolve().parents[1] / "lexicons" / "seed" / "en-sw.tsv"


def _version(tmp_path: Path, name: str, rows: list[dict], steps=None) -> Path:
    out = tmp_path / name
    run(Pipeline("d", FrameSource(rows, "text", name="src"), steps or [Identity()]), out, workers=1)
    return out


def test_profile_counts_lengths_scripts_and_synthetic_rows(tmp_path):
    rows = [{"lang": "sw", "text": "habari ya asubuhi"}] * 8 + [{"lang": "sw", "text": "ሰላም ነው"}] * 2 \
        + [{"lang": "en", "text": "the child drinks water"}] * 5
    a = _version(tmp_path, "a", rows)
    p = profile(a)["languages"]
    assert p["sw"]["rows"] == 10 and p["en"]["rows"] == 5
    assert p["sw"]["scripts"] == {"Ethi": 0.2, "Latn": 0.8} and p["en"]["text_p50"] == len("the child drinks water")
    assert p["en"]["synthetic"] == 0.0
    cs = _version(tmp_path, "cs", [r for r in rows if r["lang"] == "en"], [CodeSwitch(lexicons=(str(LEX),), ratio=1.0)])
    assert profile(cs)["languages"]["en"]["synthetic"] == 1.0


def test_drift_thresholds_and_exit_status(tmp_path):
    base = [{"lang": "sw", "text": f"habari ya asubuhi {i}"} for i in range(20)]
    a = _version(tmp_path, "a", base)
    same = _version(tmp_path, "same", base + [{"lang": "sw", "text": "habari za jioni"}])
    grown = _version(tmp_path, "grown", base + [{"lang": "sw", "text": "ሰላም ነው ወንድሜ"}] * 10
                     + [{"lang": "ha", "text": "sannu da zuwa"}])
    t = Thresholds(rows=0.2, length=0.5, script=0.05, synthetic=0.1)
    assert drift(profile(a), profile(same), t) == []
    moved = drift(profile(a), profile(grown), t)
    assert "ha: new (0 -> 1 rows)" in moved
    assert any(m.startswith("sw: rows 20 -> 30 (+50.0%") for m in moved)
    assert any(m.startswith("sw: share of Ethi script 0.0% -> 33.3%") for m in moved)
    r = CliRunner().invoke(app, ["diff", str(a), str(same), "--stats", "--max-rows-change", "0.2"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["diff", str(a), str(grown), "--stats", "--max-rows-change", "0.2",
                                 "--max-script-change", "0.05"])
    assert r.exit_code == 1 and "drift: sw: rows 20 -> 30" in r.output and "drift: ha: new" in r.output
