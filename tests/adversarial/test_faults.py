"""Faults: Ctrl-C, kill -9 of the run or of one worker, two runs on one --out.

Each case runs the real ``xdata run`` command in its own process group and asserts the exact
outcome: it ends (no hang), with the stated message and exit status, leaves ``--out`` as it
was (no manifest, no partial sibling after a clean stop), leaves no process behind, and a
rerun gives the same content digest as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

XDATA = [sys.executable, "-m", "xdata"]

RECIPE = '''
import time

import polars as pl

from xdata.io import TextSource
from xdata.pipeline import MapStep, Pipeline


class SlowUpper(MapStep):
    """Upper-cases text, slowly (a python step: runs in worker processes)."""

    name = "slow_upper"
    kinds = ("text",)

    def map(self, batch, ctx):
        time.sleep(float(DELAY))
        return batch.with_columns(pl.col("text").str.to_uppercase())


DELAY = "0.02"


def build(ctx):
    global DELAY
    DELAY = ctx.option("delay", "0.02")
    return Pipeline("slow", TextSource(ctx.here("corpus.txt"), "en"), [SlowUpper()])
'''


def _signal_group(pgid: int, sig: int) -> None:
    """Signal a process group that may have ended already (the run finished first)."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture()
def recipe(tmp_path: Path) -> Path:
    lines = [f"sentence number {i} of the fault corpus" for i in range(160_000)]
    (tmp_path / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = tmp_path / "slow.py"
    r.write_text(RECIPE, encoding="utf-8")
    return r


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(XDATA + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _group_alive(pgid: int, wait: float = 3.0) -> bool:
    """Whether a live process (not a zombie waiting to be reaped) is left in the run's group."""
    deadline = time.time() + wait
    while True:
        alive = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == pgid and fields[0] != "Z":
                    alive.append(d.name)
        if not alive or time.time() > deadline:
            return bool(alive)
        time.sleep(0.1)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _wait_for_workers(p: subprocess.Popen, n: int, timeout: float = 60) -> list[int]:
    """Pids of the run's worker processes (spawned pool workers, not the resource tracker)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        workers = [k for k in _children(p.pid) if "spawn_main" in _cmdline(k)]
        if len(workers) >= n:
            return workers
        assert p.poll() is None, p.communicate()
        time.sleep(0.1)
    raise AssertionError("workers did not start")


def _digest(out: Path) -> str:
    return json.loads((out / "manifest.json").read_text())["content_digest"]


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.xdata-partial"))


@pytest.mark.slow
def test_ctrl_c_during_multi_worker_run_stops_cleanly_and_rerun_matches(recipe: Path, tmp_path: Path):
    out = tmp_path / "out"
    ref = tmp_path / "ref"
    done = subprocess.run(XDATA + ["run", str(recipe), "--out", str(ref), "--workers", "1", "--batch-size", "4000",
                                   "--set", "delay=0"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    p = _start(["run", str(recipe), "--out", str(out), "--workers", "2", "--batch-size", "500"], tmp_path)
    _wait_for_workers(p, 2)
    time.sleep(1.0)
    _signal_group(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert err.strip().splitlines()[-1] == \
        "interrupted: stopped without writing a result (any --out is as it was before)"
    assert not out.exists() and _siblings(out) == []
    assert not _group_alive(p.pid), "a worker outlived the run"
    again = subprocess.run(XDATA + ["run", str(recipe), "--out", str(out), "--workers", "2", "--batch-size", "777",
                                    "--set", "delay=0"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _digest(out) == _digest(ref)


@pytest.mark.slow
def test_worker_killed_by_the_oom_killer_ends_the_run_with_a_clear_error(recipe: Path, tmp_path: Path):
    out = tmp_path / "out"
    p = _start(["run", str(recipe), "--out", str(out), "--workers", "2", "--batch-size", "500"], tmp_path)
    workers = _wait_for_workers(p, 2)
    time.sleep(0.5)
    os.kill(workers[0], signal.SIGKILL)  # what the OOM killer does
    _, err = p.communicate(timeout=60)
    assert p.returncode != 0
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: a pipeline worker process died (killed by SIGKILL"), err
    assert "wrote nothing" in last
    assert not out.exists() and _siblings(out) == []
    assert not _group_alive(p.pid)


@pytest.mark.slow
@pytest.mark.parametrize("moment", [0.3, 1.5, 3.0])
def test_kill_9_of_the_run_at_seeded_moments_then_rerun_gives_the_same_digest(recipe: Path, tmp_path: Path,
                                                                               moment: float):
    out = tmp_path / "out"
    p = _start(["run", str(recipe), "--out", str(out), "--workers", "2", "--batch-size", "500"], tmp_path)
    time.sleep(moment + random.Random(int(moment * 10)).random() * 0.2)
    running = p.poll() is None
    _signal_group(p.pid, signal.SIGKILL)
    p.communicate(timeout=60)
    if running and out.exists():  # killed after its atomic swap, while exiting: a whole version
        v = subprocess.run(XDATA + ["verify", str(out), "--deep"], capture_output=True, text=True, timeout=120)
        assert v.returncode == 0, v.stdout + v.stderr  # never a half version at --out
    again = subprocess.run(XDATA + ["run", str(recipe), "--out", str(out), "--workers", "1", "--batch-size", "3000",
                                    "--set", "delay=0"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _siblings(out) == []  # the killed run's partial directory was cleaned up
    ref = subprocess.run(XDATA + ["run", str(recipe), "--out", str(tmp_path / "ref"), "--workers", "1",
                                  "--set", "delay=0"], capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    assert _digest(out) == _digest(tmp_path / "ref")


def test_two_runs_on_one_out_second_refused_first_complete(recipe: Path, tmp_path: Path):
    out = tmp_path / "out"
    p = _start(["run", str(recipe), "--out", str(out), "--workers", "1", "--batch-size", "2000"], tmp_path)
    deadline = time.time() + 60
    while not any(x.name.startswith(".out.xdata-partial") for x in tmp_path.iterdir()):
        assert time.time() < deadline and p.poll() is None
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGSTOP)  # paused, the first run keeps its lock however slow the second is to start
    try:
        second = subprocess.run(XDATA + ["run", str(recipe), "--out", str(out), "--workers", "1"],
                                capture_output=True, text=True, timeout=120)
    finally:
        os.kill(p.pid, signal.SIGCONT)
    assert second.returncode == 2
    assert second.stderr.strip() == (f"error: another xdata run is writing {out} (it holds the lock "
                                     f"{tmp_path / '.out.xdata-lock'}); wait for it or choose another --out")
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    v = subprocess.run(XDATA + ["verify", str(out), "--deep"], capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr


def _verb_args(verb: str, tmp_path: Path, out: Path, workers: int, batch: int) -> list[str]:
    lex = str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv")
    common = ["--out", str(out), "--workers", str(workers), "--batch-size", str(batch)]
    if verb == "codeswitch":
        return ["codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(tmp_path / "en.txt"), "--lang", "en", *common]
    return ["backtranslate", "--lexicon", lex, "--src-lang", "en", "--tgt-lang", "sw", "--in", str(tmp_path / "sw.txt"),
            "--cache", str(tmp_path / "bt-cache.sqlite"), *common]


@pytest.fixture()
def verb_inputs(tmp_path: Path) -> Path:
    en = ["the child drinks water", "the big house is near the river", "a dog eats food in the house"]
    sw = ["mtoto anakunywa maji", "nyumba kubwa iko karibu na mto", "mbwa anakula chakula nyumbani"]
    (tmp_path / "en.txt").write_text("".join(f"{en[i % 3]} {i}\n" for i in range(150_000)), encoding="utf-8")
    (tmp_path / "sw.txt").write_text("".join(f"{sw[i % 3]} {i}\n" for i in range(30_000)), encoding="utf-8")
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("verb", ["codeswitch", "backtranslate"])
@pytest.mark.parametrize("fault", ["SIGINT", "SIGKILL"])
def test_interrupted_verb_stops_cleanly_and_rerun_gives_the_same_digest(verb_inputs: Path, verb: str, fault: str):
    tmp_path = verb_inputs
    out, ref = tmp_path / "out", tmp_path / "ref"
    p = _start(_verb_args(verb, tmp_path, out, 2, 500), tmp_path)
    t0 = time.time()
    while not any(x.name.startswith(".out.xdata-partial") for x in tmp_path.iterdir()):
        assert p.poll() is None and time.time() - t0 < 60, p.communicate()
        time.sleep(0.02)
    time.sleep(random.Random(verb + fault).uniform(0.2, 0.8))
    running = p.poll() is None
    _signal_group(p.pid, getattr(signal, fault))
    _, err = p.communicate(timeout=60)
    if running and p.returncode in (130, -signal.SIGINT, -signal.SIGKILL):
        if fault == "SIGINT":
            assert _siblings(out) == []
        if out.exists():  # stopped after its atomic swap, while exiting: it must be a whole version
            v = subprocess.run(XDATA + ["verify", str(out), "--deep"], capture_output=True, text=True, timeout=120)
            assert v.returncode == 0, v.stdout + v.stderr
    elif running:  # it finished between the check and the signal
        assert p.returncode == 0, err
    assert not _group_alive(p.pid)
    again = subprocess.run(XDATA + _verb_args(verb, tmp_path, out, 1, 7000) + (["--overwrite"] if out.exists() else []),
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    clean = subprocess.run(XDATA + _verb_args(verb, tmp_path, ref, 2, 10_000)
                           + (["--no-cache"] if verb == "backtranslate" else []),
                           capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stderr
    assert _digest(out) == _digest(ref) and _siblings(out) == []


def test_lid_with_a_missing_model_fails_at_once_with_workers(tmp_path: Path):
    (tmp_path / "in.txt").write_text("hello world\n" * 50_000)
    t0 = time.time()
    done = subprocess.run(XDATA + ["lid", "--model", str(tmp_path / "missing.bin"), "--workers", "2"],
                          stdin=open(tmp_path / "in.txt"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and time.time() - t0 < 60
    assert done.stderr.strip().splitlines()[-1].startswith("error: ") and "missing.bin" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("backend,workers", [("fasttext", "2"), ("heliport", None)])
def test_ctrl_c_while_xdata_lid_waits_on_a_pipe_is_a_clean_exit(backend: str, workers: str | None):
    # stdin is a pipe still open: lines already written are labelled and printed, then Ctrl-C ends
    # the command (worker processes too) with the one-line message, not a traceback or a hang
    if backend == "heliport":
        pytest.importorskip("heliport")
    p = subprocess.Popen(XDATA + ["lid", "--backend", backend, "--chunk", "100"] + (["--workers", workers] if workers else []),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdin is not None and p.stdout is not None
    # 5,000 lines: more output than stdout's buffer (so some is flushed to us), less than the pipe holds
    p.stdin.write(b"The children are going to school in the morning with their teachers.\n" * 5000)
    p.stdin.flush()
    first = p.stdout.readline()  # output came: the command is labelling and will wait on the open pipe
    assert first.decode().split("\t")[0] == "en"
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert p.returncode == 130
    assert err.decode().strip().splitlines() == ["interrupted: stopped without writing a result (any --out is as it "
                                                 "was before)"]


@pytest.mark.parametrize("delay", [0.3, 0.6, 1.0])
def test_ctrl_c_while_the_command_starts_is_an_exit_not_a_traceback(recipe: Path, tmp_path: Path, delay: float):
    """Also during the imports and while the workers start (they are born with SIGINT blocked)."""
    out = tmp_path / "out"
    p = _start(["run", str(recipe), "--out", str(out), "--workers", "2", "--batch-size", "500"], tmp_path)
    time.sleep(delay)
    _signal_group(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (130, -signal.SIGINT), err  # -SIGINT: interrupted while the interpreter started
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted: ")
    assert not out.exists() and _siblings(out) == []
    assert not _group_alive(p.pid)


PLAN_RECIPE = RECIPE.replace('''def build(ctx):
    global DELAY
    DELAY = ctx.option("delay", "0.02")
    return Pipeline("slow", TextSource(ctx.here("corpus.txt"), "en"), [SlowUpper()])''', '''def build(ctx):
    global DELAY
    DELAY = ctx.option("delay", "0.02")
    from xdata.mix import Mix, Part, Split
    from xdata.recipe import Recipe

    first = Pipeline("first", TextSource(ctx.here("small.txt"), "en"), [])
    slow = Pipeline("slow", TextSource(ctx.here("corpus.txt"), "en"), [SlowUpper()])
    both = Pipeline("both", Mix([Part(first), Part(slow, origin="upper")], split=Split(dev=0.1)), [])
    return Recipe([first, slow, both], exports={"both": ("jsonl",)})''')


@pytest.mark.parametrize("fault", ["SIGINT", "SIGKILL"])
def test_a_multi_part_run_stopped_in_a_part_leaves_finished_parts_and_a_rerun_completes(tmp_path: Path, fault: str):
    lines = [f"sentence number {i} of the fault corpus" for i in range(160_000)]
    (tmp_path / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "small.txt").write_text("one line\nanother line\n", encoding="utf-8")
    recipe = tmp_path / "plan.py"
    recipe.write_text(PLAN_RECIPE, encoding="utf-8")
    out = tmp_path / "out"
    p = _start(["run", str(recipe), "--out", str(out), "--workers", "2", "--batch-size", "500"], tmp_path)
    _wait_for_workers(p, 2)  # the slow part runs (the first one is written by then)
    time.sleep(1.0)
    _signal_group(p.pid, signal.SIGINT if fault == "SIGINT" else signal.SIGKILL)
    _, err = p.communicate(timeout=60)
    if fault == "SIGINT":
        assert p.returncode == 130, err
        assert err.strip().splitlines()[-1] == \
            "interrupted: stopped without writing a result (any --out is as it was before)"
    assert not _group_alive(p.pid), "a worker outlived the run"
    first = [d for d in (out / "first").iterdir() if d.name not in ("latest",) and not d.name.startswith(".")]
    assert len(first) == 1 and (first[0] / "manifest.json").is_file()  # the finished part is whole
    assert not (out / "slow").exists() or not [d for d in (out / "slow").iterdir() if not d.name.startswith(".")]
    again = subprocess.run(XDATA + ["run", str(recipe), "--out", str(out), "--workers", "2", "--set", "delay=0"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "part first: reused" in again.stderr and "part slow: computed" in again.stderr
    assert not [x for x in (out / "slow").iterdir() if ".xdata-partial-" in x.name]  # a killed run's leftovers went
    v = subprocess.run(XDATA + ["verify", str(out / "both" / "latest"), "--deep"], capture_output=True, text=True,
                       timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr
