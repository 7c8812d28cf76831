"""`xdata dvc stage` with the real DVC (analytics off), offline, in a temporary git + DVC repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DVC = BIN / "dvc"
pytestmark = pytest.mark.skipif(not DVC.exists() or shutil.which("git") is None, reason="dvc is a test extra")

RECIPE = '''
from xdata.codeswitch.step import CodeSwitch
from xdata.io import TextSource
from xdata.pipeline import Pipeline


def build(ctx):
    return Pipeline("cs", TextSource(ctx.here("data", "en.txt"), "en"),
                    [CodeSwitch(lexicons=(str(ctx.here("lex.tsv")),), ratio=float(ctx.option("ratio", "0.3")))],
                    license="CC0-1.0")
'''


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture()
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1",
           "PYTHONPATH": str(ROOT), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "HOME": str(tmp_path / "home")}
    r = tmp_path / "proj"
    (r / "data").mkdir(parents=True)
    (r / "data" / "en.txt").write_text("the child drinks water\nthe big house is near the river\n", encoding="utf-8")
    shutil.copy(ROOT / "lexicons" / "seed" / "en-sw.tsv", r / "lex.tsv")
    (r / "recipe.py").write_text(RECIPE, encoding="utf-8")
    assert _run(["git", "init", "-q"], r, env).returncode == 0
    d = _run([str(DVC), "init", "-q"], r, env)
    assert d.returncode == 0, d.stderr
    return r, env


def test_stage_runs_is_reused_and_reruns_when_an_input_or_a_param_changes(repo):
    r, env = repo
    s = _run([sys.executable, "-m", "xdata", "dvc", "stage", "recipe.py", "--out", "out/cs", "--set", "ratio=0.5"], r, env)
    assert s.returncode == 0, s.stderr
    stage = yaml.safe_load((r / "dvc.yaml").read_text())["stages"]["cs"]
    assert stage["deps"] == ["recipe.py", "data/en.txt", "lex.tsv"] and stage["outs"] == ["out/cs"]
    assert stage["params"] == ["ratio"] and "--set ratio=${ratio}" in stage["cmd"]
    assert yaml.safe_load((r / "params.yaml").read_text()) == {"ratio": "0.5"}

    first = _run([str(DVC), "repro"], r, env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (r / "out" / "cs" / "manifest.json").exists()
    assert _run([sys.executable, "-m", "xdata", "verify", "out/cs"], r, env).returncode == 0
    again = _run([str(DVC), "repro"], r, env)
    assert again.returncode == 0 and "didn't change, skipping" in again.stdout, again.stdout
    status = _run([str(DVC), "status"], r, env)
    assert "up to date" in status.stdout, status.stdout

    with open(r / "data" / "en.txt", "a", encoding="utf-8") as fh:
        fh.write("a new line of water\n")
    status = _run([str(DVC), "status"], r, env)
    assert "cs:" in status.stdout and "modified:" in status.stdout and "data/en.txt" in status.stdout, status.stdout
    rerun = _run([str(DVC), "repro"], r, env)
    assert rerun.returncode == 0 and "Running stage 'cs'" in rerun.stdout, rerun.stdout
    assert json.loads((r / "out" / "cs" / "manifest.json").read_text())["rows"] == 3

    (r / "params.yaml").write_text("ratio: '0.9'\n")
    assert "Running stage 'cs'" in _run([str(DVC), "repro"], r, env).stdout


def test_stage_outside_a_dvc_repository_is_a_clear_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    (tmp_path / "recipe.py").write_text(RECIPE, encoding="utf-8")
    r = _run([sys.executable, "-m", "xdata", "dvc", "stage", "recipe.py", "--out", "out"], tmp_path, env)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: no DVC repository at or above {tmp_path.resolve()} (no .dvc/ directory); run `dvc init` first"
