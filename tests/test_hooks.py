"""Dataset-versioning hooks with the real pre-commit package and real git hooks, offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xdata.io import TextSource
from xdata.pipeline import Identity, Pipeline, run

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x", "PYTHONPATH": str(ROOT)}


def _git(repo: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=check)


@pytest.fixture()
def data_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git repository holding one committed xdata dataset version."""
    env = _env(tmp_path)
    repo = tmp_path / "data-repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", env=env)
    corpus = repo / "raw.txt"
    corpus.write_text("".join(f"sentence {i} of the corpus\n" for i in range(50)), encoding="utf-8")
    run(Pipeline("ds", TextSource(corpus, "en"), [Identity()], license="CC0-1.0"), repo / "versions" / "ds",
        workers=1)
    _git(repo, "add", "-A", env=env)
    _git(repo, "commit", "-q", "-m", "first version", env=env)
    return repo, env


def _pre_commit(repo: Path, env: dict[str, str], hook: str) -> subprocess.CompletedProcess:
    pc = BIN / "pre-commit"
    return subprocess.run([str(pc), "try-repo", str(ROOT), hook, "--verbose"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not (BIN / "pre-commit").exists(), reason="pre-commit is a test extra")
def test_pre_commit_hooks_pass_a_good_commit_and_fail_a_tampered_shard(data_repo):
    repo, env = data_repo
    (repo / "notes.md").write_text("a change that touches no dataset\n")
    _git(repo, "add", "notes.md", env=env)
    for hook in ("xdata-verify", "xdata-manifest-check"):
        r = _pre_commit(repo, env, hook)
        assert r.returncode == 0, r.stdout + r.stderr
    shard = repo / "versions" / "ds" / "data" / "part-00000.parquet"
    shard.write_bytes(shard.read_bytes()[:-5] + b"xxxxx")
    _git(repo, "add", "-A", env=env)
    r = _pre_commit(repo, env, "xdata-verify")
    assert r.returncode == 1
    assert f"{repo / 'versions' / 'ds'}: changed: data/part-00000.parquet (sha256 differs from the manifest)" in r.stdout


@pytest.mark.skipif(not (BIN / "pre-commit").exists(), reason="pre-commit is a test extra")
def test_pre_commit_refuses_a_deleted_shard_a_version_without_manifest_and_bad_accounting(data_repo):
    repo, env = data_repo
    ds = repo / "versions" / "ds"
    (ds / "data" / "part-00000.parquet").unlink()
    _git(repo, "add", "-A", env=env)
    r = _pre_commit(repo, env, "xdata-verify")
    assert r.returncode == 1 and f"{ds}: missing: data/part-00000.parquet" in r.stdout
    _git(repo, "reset", "-q", "--hard", env=env)
    half = repo / "versions" / "half"
    shutil.copytree(ds, half)
    (half / "manifest.json").unlink()
    _git(repo, "add", "-A", env=env)
    r = _pre_commit(repo, env, "xdata-verify")
    assert r.returncode == 1 and f"{half}: holds shards but no manifest.json" in r.stdout
    _git(repo, "reset", "-q", "--hard", env=env)
    shutil.rmtree(half, ignore_errors=True)
    m = json.loads((ds / "manifest.json").read_text())
    m["accounting"][-1]["out"] += 1
    m["license"] = ""
    (ds / "manifest.json").write_text(json.dumps(m))
    _git(repo, "add", "-A", env=env)
    r = _pre_commit(repo, env, "xdata-manifest-check")
    assert r.returncode == 1
    assert "no licence" in r.stdout and "the last step gives 51 rows, the manifest says 50" in r.stdout


def test_plain_git_hook_refuses_a_tampered_commit_and_respects_foreign_hooks(data_repo, tmp_path):
    repo, env = data_repo
    xdata = [sys.executable, "-m", "xdata"]
    r = subprocess.run(xdata + ["hooks", "install"], cwd=repo, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert hook.exists() and os.access(hook, os.X_OK)
    (repo / "ok.txt").write_text("fine\n")
    _git(repo, "add", "ok.txt", env=env)
    assert _git(repo, "commit", "-q", "-m", "fine", env=env, check=False).returncode == 0
    card = repo / "versions" / "ds" / "README.md"
    card.write_text(card.read_text() + "edited\n")
    _git(repo, "add", "-A", env=env)
    c = _git(repo, "commit", "-q", "-m", "tampered", env=env, check=False)
    assert c.returncode != 0 and "changed: README.md" in c.stderr
    foreign = repo / ".git" / "hooks" / "pre-push"
    foreign.write_text("#!/bin/sh\necho mine\n")
    r = subprocess.run(xdata + ["hooks", "install", "--pre-push"], cwd=repo, env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "was not written by xdata; pass --force" in r.stderr
    assert foreign.read_text() == "#!/bin/sh\necho mine\n"


def test_hooks_outside_a_git_repository_is_a_clear_error(tmp_path):
    env = _env(tmp_path)
    r = subprocess.run([sys.executable, "-m", "xdata", "hooks", "verify"], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == (f"error: {tmp_path.resolve()} is not inside a git repository; the xdata hooks check "
                                "the dataset versions a git commit touches")
