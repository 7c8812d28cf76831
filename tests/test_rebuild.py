"""`xdata rebuild`: a version rebuilt from its manifest gives the same bytes, or says what changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
XDATA = [sys.executable, "-m", "xdata"]
RECIPE = '''
from xdata.filters import Dedup
from xdata.io import TextSource
from xdata.normalize.step import Normalize
from xdata.pipeline import Pipeline


def build(ctx):
    return Pipeline("rb", TextSource(ctx.here("in.txt"), ctx.option("lang", "en")), [Normalize(), Dedup()])
'''


def _x(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(XDATA + args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_rebuild_reproduces_and_names_what_changed(tmp_path):
    (tmp_path / "in.txt").write_text("one line\ntwo lines\none line\n", encoding="utf-8")
    (tmp_path / "r.py").write_text(RECIPE, encoding="utf-8")
    assert _x(["run", "r.py", "--out", "out", "--set", "lang=sw", "--seed", "7", "--workers", "1"], tmp_path).returncode == 0
    ok = _x(["rebuild", "out", "--workers", "2"], tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("reproduced: out version "), ok.stderr
    with open(tmp_path / "in.txt", "a", encoding="utf-8") as fh:
        fh.write("three\n")
    bad = _x(["rebuild", "out"], tmp_path)
    assert bad.returncode == 1 and "NOT reproduced" in bad.stderr and "  input in: digest " in bad.stderr
    (tmp_path / "r.py").write_text(RECIPE + "\n# edited\n", encoding="utf-8")
    edited = _x(["rebuild", "out"], tmp_path)
    assert edited.returncode == 2 and "is not the recipe this version was made with" in edited.stderr
    cli_made = tmp_path / "cs"
    assert _x(["codeswitch", "--lexicon", str(ROOT / "lexicons/seed/en-sw.tsv"), "--ratio", "0.5", "--in",
               str(tmp_path / "in.txt"), "--lang", "en", "--out", str(cli_made), "--workers", "1"], tmp_path).returncode == 0
    r = _x(["rebuild", str(cli_made)], tmp_path)
    assert r.returncode == 2 and "was not made by a recipe" in r.stderr
