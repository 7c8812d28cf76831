"""Hostile inputs, generated here (no committed blobs): each case asserts the exact outcome.

Either a one-line error naming the file (and line where there is one) with a non-zero exit and
nothing written, or rejects with reasons and in = out + rejected; never a traceback, never a
file outside the output written or removed.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import zstandard
from typer.testing import CliRunner

from xdata.cli import app
from xdata.dataset import read_manifest, verify
from xdata.errors import InputError
from xdata.io import ConlluSource, DatasetSource, TextSource, open_source
from xdata.lexicon import load_lexicon
from xdata.lexicon.catalog import FetchError, fetch
from xdata.pipeline import Identity, Pipeline, run

XDATA = [sys.executable, "-m", "xdata"]
SENTS = [f"sentence {i} with a few words" for i in range(40)]


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    p = tmp_path / "in.txt"
    p.write_text("\n".join(SENTS) + "\n", encoding="utf-8")
    return p


def _dataset(tmp_path: Path, corpus: Path, name: str = "ds") -> Path:
    out = tmp_path / name
    run(Pipeline("ds", TextSource(corpus, "en"), [Identity()]), out, workers=1)
    return out


# -- 1. --out never loses a user's files ----------------------------------------------------
def test_out_on_a_users_folder_is_refused_and_untouched(tmp_path, corpus):
    user = tmp_path / "mine"
    (user / "data").mkdir(parents=True)
    (user / "data" / "notes.txt").write_text("precious")
    (user / "README.md").write_text("my readme")
    shutil.copy(corpus, user / "data" / "in.txt")
    before = snapshot(user)
    r = cli("codeswitch", "--lexicon", str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv"), "--ratio", "0.5",
            "--in", str(user / "data" / "in.txt"), "--lang", "en", "--out", str(user), "--overwrite")
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1].startswith(f"error: --out {user} is a directory that is not an xdata dataset")
    assert snapshot(user) == before


def test_overwrite_keeps_the_previous_version_when_the_new_run_fails(tmp_path, corpus):
    out = _dataset(tmp_path, corpus)
    before = snapshot(out)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\n\xff\xfe broken\n")
    with pytest.raises(InputError, match=r"bad.txt:line 2: invalid UTF-8"):
        run(Pipeline("ds", TextSource(bad, "en"), [Identity()]), out, workers=1, overwrite=True)
    assert snapshot(out) == before and verify(out).ok
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_overwrite_replaces_a_version_whose_input_lives_inside_it(tmp_path, corpus):
    out = _dataset(tmp_path, corpus)
    m = run(Pipeline("ds2", DatasetSource(out), [Identity()]), out, workers=1, overwrite=True)
    assert m["rows"] == len(SENTS) and verify(out, deep=True).ok


# -- 2. piped input -------------------------------------------------------------------------
@pytest.mark.parametrize("verb", ["codeswitch", "backtranslate"])
def test_piped_input_is_read_once_and_kept(tmp_path, verb):
    lex = Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv"
    args = ["--lexicon", str(lex), "--out", str(tmp_path / "o"), "--in", "/dev/stdin", "--workers", "1"]
    args += ["--ratio", "0.5", "--lang", "en"] if verb == "codeswitch" else ["--src-lang", "en", "--tgt-lang", "sw", "--no-cache"]
    text = "the child drinks water\nthe dog eats food\n" if verb == "codeswitch" else "mtoto anakunywa maji\nmbwa anakula\n"
    done = subprocess.run(XDATA + [verb, *args], input=text, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    m = read_manifest(tmp_path / "o")
    assert m["accounting"][0]["in"] == 2 and m["rows"] + m["rejected_rows"] >= 2


def test_fifo_input_through_textsource(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'w').write('a b c\\nd e f\\n')"])
    m = run(Pipeline("f", TextSource(fifo, "en"), [Identity()]), tmp_path / "o", workers=1)
    writer.wait(timeout=30)
    assert m["rows"] == 2 and m["inputs"][0]["digest"]


# -- 3. compressed input --------------------------------------------------------------------
COMPRESSORS = {".gz": gzip.compress, ".xz": lzma.compress, ".bz2": bz2.compress,
               ".zst": lambda b: zstandard.ZstdCompressor().compress(b)}


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_compressed_input_is_an_error_naming_the_file(tmp_path, ext, damage):
    data = ("\n".join(SENTS * 200) + "\n").encode()
    blob = COMPRESSORS[ext](data)
    blob = blob[: len(blob) // 2] if damage == "truncated" else b"\x00garbage" + blob[8:]
    p = tmp_path / f"in.txt{ext}"
    p.write_bytes(blob)
    r = cli("codeswitch", "--lexicon", str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv"), "--ratio", "0.5",
            "--in", str(p), "--lang", "en", "--out", str(tmp_path / "o"), "--workers", "1")
    assert r.exit_code == 2
    last = r.output.strip().splitlines()[-1]
    assert last.startswith(f"error: {p}: ") and "cut short or corrupt" in last
    assert not (tmp_path / "o").exists()


def test_concatenated_members_read_whole(tmp_path):
    p = tmp_path / "in.txt.gz"
    p.write_bytes(gzip.compress(b"one two\n") + gzip.compress(b"three four\n"))
    m = run(Pipeline("g", TextSource(p, "en"), [Identity()]), tmp_path / "o", workers=1)
    assert m["rows"] == 2


# -- 5. verify trusts nothing in the manifest -----------------------------------------------
@pytest.mark.parametrize("path", ["../../x.parquet", "/etc/passwd", "data/../../x.parquet", "/dev/zero"])
def test_verify_refuses_shard_paths_outside_the_dataset(tmp_path, corpus, path):
    out = _dataset(tmp_path, corpus)
    m = json.loads((out / "manifest.json").read_text())
    m["shards"][0]["path"] = path
    (out / "manifest.json").write_text(json.dumps(m))
    rep = verify(out)
    assert not rep.ok and any(repr(path) in line for line in rep.lines())
    for verb in (("info", str(out)), ("diff", str(out), str(out)), ("trace", str(out), "x")):
        r = cli(*verb)
        if verb[0] != "info":
            assert r.exit_code == 2 and "expected data/NAME.parquet" in r.output


@pytest.mark.parametrize("edit", ["rows", "shard_rows", "accounting", "input_digest", "license", "croissant",
                                  "readme", "extra_dir"])
def test_verify_notices_every_edit(tmp_path, corpus, edit):
    out = _dataset(tmp_path, corpus)
    mp = out / "manifest.json"
    m = json.loads(mp.read_text())
    if edit == "rows":
        m["rows"] += 1
    elif edit == "shard_rows":
        m["shards"][0]["rows"] -= 1
    elif edit == "accounting":
        m["accounting"][-1]["out"] += 1
    elif edit == "input_digest":
        m["inputs"][0]["digest"] = "0" * 32
    elif edit == "license":
        m["license"] = "CC0-1.0"
    if edit in ("croissant", "readme"):
        f = out / ("croissant.json" if edit == "croissant" else "README.md")
        f.write_text(f.read_text() + " ")
    elif edit == "extra_dir":
        (out / "stuff").mkdir()
    else:
        mp.write_text(json.dumps(m, indent=2))
    rep = verify(out)
    assert not rep.ok
    r = cli("verify", str(out))
    assert r.exit_code == 1


def test_verify_deep_recomputes_figures_of_an_old_manifest_without_self_digest(tmp_path, corpus):
    out = _dataset(tmp_path, corpus)
    m = json.loads((out / "manifest.json").read_text())
    del m["manifest_digest"]
    m["rows"] += 5
    (out / "manifest.json").write_text(json.dumps(m))
    assert verify(out).ok  # schema-1 style: nothing to compare the figures with without --deep
    rep = verify(out, deep=True)
    assert not rep.ok and any("the shards hold 40 rows, the manifest says 45" in x for x in rep.lines())


# -- 6, 7. a dataset as input; the same step twice ------------------------------------------
def test_dataset_as_input_keeps_the_id_chain(tmp_path, corpus):
    first = _dataset(tmp_path, corpus)
    m = run(Pipeline("again", DatasetSource(first), [Identity()]), tmp_path / "second", workers=1)
    rows = pl.read_parquet(tmp_path / "second" / "data")
    ids = set(pl.read_parquet(first / "data")["id"])
    assert m["rows"] == len(SENTS) and all(p[0] in ids for p in rows["parents"])
    r = cli("codeswitch", "--lexicon", str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv"), "--ratio", "0.5",
            "--in", str(first), "--out", str(tmp_path / "cs"), "--workers", "1")
    assert r.exit_code == 0, r.output


def test_the_same_step_twice_is_accounted_per_position(tmp_path, corpus):
    from xdata.normalize.step import Normalize

    m = run(Pipeline("twice", TextSource(corpus, "en"), [Normalize(), Normalize()]), tmp_path / "o", workers=1)
    assert [a["in"] for a in m["accounting"]] == [len(SENTS)] * 3


# -- 9. lexicon fetch -----------------------------------------------------------------------
def _catalog(tmp_path: Path, name: str, url: str, sha: str) -> Path:
    cat = tmp_path / "catalog.tsv"
    cat.write_text("name\tsrc_lang\ttgt_lang\tlicense\tformat\turl\tsha256\tnote\n"
                   f"{name}\ten\tsw\tCC0-1.0\tmuse\t{url}\t{sha}\t\n", encoding="utf-8")
    return cat


def test_fetch_policy(tmp_path):
    import hashlib

    good = tmp_path / "lex.txt"
    good.write_text("water maji\n")
    sha = hashlib.sha256(good.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="not a slug"):
        fetch("x", tmp_path / "dl", catalog=_catalog(tmp_path, "../../x", good.as_uri(), sha))
    outside = Path("/etc/hostname")
    with pytest.raises(FetchError, match="points outside the allowed directory"):
        fetch("ok", tmp_path / "dl", catalog=_catalog(tmp_path, "ok", outside.as_uri(), sha))
    for url in ("data:text/plain,water%20maji", "http://example.org/x.txt", "ftp://example.org/x"):
        with pytest.raises(FetchError, match="is not https://"):
            fetch("ok", tmp_path / "dl", catalog=_catalog(tmp_path, "ok", url, sha))
    with pytest.raises(FetchError, match="pins no sha256"):
        fetch("ok", tmp_path / "dl", catalog=_catalog(tmp_path, "ok", good.as_uri(), ""))
    assert fetch("ok", tmp_path / "dl", catalog=_catalog(tmp_path, "ok", good.as_uri(), sha.upper())).exists()
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02 \x00\n")
    bsha = hashlib.sha256(binary.read_bytes()).hexdigest()
    with pytest.raises(FetchError, match="is not a lexicon"):
        fetch("b", tmp_path / "dl", catalog=_catalog(tmp_path, "b", binary.as_uri(), bsha))
    assert not (tmp_path / "dl" / "b.txt").exists()
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["ok.txt"]


# -- 10. CoNLL-U ----------------------------------------------------------------------------
def _tok(i: int, form: str) -> str:
    return f"{i}\t{form}\t_\tNOUN\t_\t_\t0\troot\t_\t_"


@pytest.mark.parametrize("block, why", [
    ("# sent_id = c\n# text = only comments", "comment lines but no token lines"),
    (f"{_tok(1, 'a')}\n{_tok(1, 'b')}", "token ID 1 repeats the sequence (expected 2)"),
    (f"{_tok(1, 'a')}\n{_tok(3, 'b')}", "token ID 3 skips the sequence (expected 2)"),
    (f"{_tok(1, 'a')}\n{_tok(2, '')}", "empty FORM"),
])
def test_conllu_bad_sentences_raise_or_are_rejected(tmp_path, block, why):
    good = _tok(1, "fine")
    p = tmp_path / "x.conllu"
    p.write_text(f"\ufeff{good}\n\n{block}\n\n{good}\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x.conllu:line \d+: .*" + re.escape(why)):
        run(Pipeline("c", ConlluSource(p, "en"), [Identity()]), tmp_path / "a", workers=1)
    m = run(Pipeline("c", ConlluSource(p, "en", on_error="reject"), [Identity()]), tmp_path / "b", workers=1)
    assert m["rows"] == 2 and m["rejected_rows"] == 1
    assert m["accounting"][0] == {"step": "read", "in": 3, "out": 2, "rejected": 1}
    assert any(why.split(" (")[0] in k for k in m["stats"]["reject_reasons"])


# -- 11. lexicons ---------------------------------------------------------------------------
@pytest.mark.parametrize("prob", ["nan", "inf", "-0.5", "-inf"])
def test_lexicon_probabilities_must_be_finite_and_non_negative(tmp_path, prob):
    p = tmp_path / "l.tsv"
    p.write_text(f"water\tmaji\tNOUN\t0.5\nfire\tmoto\tNOUN\t{prob}\n")
    with pytest.raises(InputError, match=rf"l.tsv:line 2: probability column holds '{prob}'"):
        load_lexicon(p)


def test_lexicon_bom_keeps_the_first_entry(tmp_path):
    p = tmp_path / "l.txt"
    p.write_text("\ufeffwater maji\nfire moto\n", encoding="utf-8")
    assert [e.src for e in load_lexicon(p).entries] == ["water", "fire"]


# -- 12. one-line errors instead of tracebacks ----------------------------------------------
def test_one_line_errors(tmp_path, corpus):
    jl = tmp_path / "s.jsonl"
    jl.write_text('{"lang": "en", "text": "\\ud800 x"}\n')
    pq = tmp_path / "g.parquet"
    pq.write_bytes(b"not parquet at all")
    ph = tmp_path / "bad.pharaoh"
    ph.write_bytes(b"0-0\n\xff-1\n")
    lex = str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv")
    cases = [
        (["codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(jl), "--out", str(tmp_path / "o")],
         f"error: {jl}:line 1: field 'text' holds an unpaired surrogate"),
        (["codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(pq), "--out", str(tmp_path / "o")],
         f"error: {pq}: not a readable Parquet file"),
        (["eval", "aer", "--gold", str(ph), "--pred", str(ph)], f"error: {ph}:line 2: invalid UTF-8"),
        (["eval", "aer", "--gold", str(tmp_path / "nope"), "--pred", str(ph)], f"error: {tmp_path / 'nope'}: file not found"),
        (["eval", "aer", "--gold", str(tmp_path), "--pred", str(ph)], f"error: {tmp_path}: expected a file, found a directory"),
        (["project", "--src", str(corpus), "--tgt", str(corpus), "--field", "upos", "--out", str(tmp_path / "no/dir/o.conllu")],
         "error: "),
    ]
    for args, start in cases:
        r = cli(*args)
        assert r.exit_code != 0, args
        lines = r.output.strip().splitlines()
        assert lines[-1].startswith(start), (args, r.output)
        assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_codeswitch_on_empty_input(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    lex = str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv")
    r = cli("codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(empty), "--lang", "en", "--out", str(tmp_path / "o"))
    assert r.exit_code == 0 and "0 rows" in r.output


def test_corrupt_translation_cache_is_one_line(tmp_path):
    cache = tmp_path / "c.sqlite"
    cache.write_bytes(b"this is not sqlite" * 100)
    mono = tmp_path / "m.txt"
    mono.write_text("mtoto anakunywa maji\n")
    lex = str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv")
    r = cli("backtranslate", "--lexicon", lex, "--src-lang", "en", "--tgt-lang", "sw", "--in", str(mono),
            "--out", str(tmp_path / "o"), "--cache", str(cache), "--workers", "1")
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1].startswith(f"error: {cache}: translation cache is not a readable cache")


def _mount_tmpfs(path: Path, opts: str) -> bool:
    path.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("opts, why", [("size=64k", "No space left on device"), ("ro", "Read-only file system")])
def test_full_or_read_only_disk_is_one_line_and_leaves_nothing(tmp_path, opts, why):
    mnt = tmp_path / "mnt"
    if not _mount_tmpfs(mnt, opts):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        big = tmp_path / "big.txt"
        big.write_text("\n".join(f"a sentence that takes some room number {i}" for i in range(20000)) + "\n")
        done = subprocess.run(XDATA + ["run", str(Path(__file__).parents[2] / "recipes/demo.py"), "--out",
                                       str(mnt / "o"), "--workers", "1"], capture_output=True, text=True, timeout=600)
        assert done.returncode != 0
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and why in last, done.stderr
        assert "Traceback" not in done.stderr
        assert [p.name for p in mnt.iterdir() if not p.name.endswith(".xdata-lock")] == []
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# -- 13, 17. smaller -------------------------------------------------------------------------
def test_bom_is_stripped_whatever_the_neighbouring_lines(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_bytes("\ufeffhello world\nplain\n".encode())
    b.write_bytes("\ufeffhello world\n".encode() + b"bad \xff line\n")
    ra = run(Pipeline("x", TextSource(a, "en", name="x"), [Identity()]), tmp_path / "oa", workers=1)
    rb = run(Pipeline("x", TextSource(b, "en", name="x", on_error="reject"), [Identity()]), tmp_path / "ob", workers=1)
    ta = pl.read_parquet(tmp_path / "oa" / "data")
    tb = pl.read_parquet(tmp_path / "ob" / "data")
    assert ta["text"][0] == tb["text"][0] == "hello world" and ta["id"][0] == tb["id"][0]
    assert ra["rows"] == 2 and rb["rejected_rows"] == 1


def test_conllu_given_as_text_is_refused(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("".join(f"# sent_id = {s}\n{_tok(1, 'a')}\n{_tok(2, 'b')}\n\n" for s in range(10)))
    with pytest.raises(InputError, match=r"x.txt:line 1: this looks like CoNLL-U"):
        run(Pipeline("x", TextSource(p, "en"), [Identity()]), tmp_path / "o", workers=1)
    t = tmp_path / "y.txt"
    t.write_text("".join(f"source {i}\ttarget {i}\n" for i in range(10)))
    with pytest.raises(InputError, match="looks like a TSV file"):
        run(Pipeline("y", open_source(t, lang="en"), [Identity()]), tmp_path / "o", workers=1)


def test_card_metadata_follows_the_rows(tmp_path):
    from xdata.codeswitch.step import CodeSwitch

    p = tmp_path / "x.conllu"
    p.write_text("".join(f"{_tok(1, 'water')}\n{_tok(2, 'fire')}\n\n" for _ in range(3)))
    lex = Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv"
    m = run(Pipeline("cs", ConlluSource(p, "en"), [CodeSwitch(lexicons=(str(lex),), ratio=1.0)]), tmp_path / "o",
            workers=1)
    assert m["task_categories"] == ["token-classification"]
    assert m["stats"]["languages"] == ["en", "sw"]
    card = (tmp_path / "o" / "README.md").read_text()
    assert "- sw" in card and "token-classification" in card


def test_version_changes_with_what_changes_bytes_and_only_with_that(tmp_path, corpus):
    def go(out, lang="en", seed=0, workers=1, batch=10_000):
        return run(Pipeline("v", TextSource(corpus, lang), [Identity()]), tmp_path / out, seed=seed,
                   workers=workers, batch_size=batch)["version"]

    base = go("a")
    assert go("b", workers=2, batch=3) == base
    assert go("c", lang="sw") != base
    assert go("d", seed=1) != base


def test_a_line_too_long_to_be_a_sentence_is_refused_or_rejected(tmp_path):
    p = tmp_path / "long.txt"
    p.write_text("short line\n" + "word " * 300_000 + "\nanother short line\n")
    with pytest.raises(InputError, match=r"long.txt:line 2: line of 1,500,000 bytes is longer than max_line_bytes=1,048,576"):
        run(Pipeline("l", TextSource(p, "en"), [Identity()]), tmp_path / "a", workers=1)
    m = run(Pipeline("l", TextSource(p, "en", on_error="reject"), [Identity()]), tmp_path / "b", workers=1)
    assert m["rows"] == 2 and m["rejected_rows"] == 1
    m = run(Pipeline("l", TextSource(p, "en", max_line_bytes=2_000_000), [Identity()]), tmp_path / "c", workers=1)
    assert m["rows"] == 3


def _verb_cases(tmp_path: Path, mnt: Path) -> dict[str, list[str]]:
    root = Path(__file__).parents[2]
    lex = str(root / "lexicons/seed/en-sw.tsv")
    en = tmp_path / "en.txt"
    sw = tmp_path / "sw.txt"
    en.write_text("".join(f"the child drinks water number {i}\n" for i in range(300)))
    sw.write_text("".join(f"mtoto anakunywa maji namba {i}\n" for i in range(300)))
    conllu = tmp_path / "x.conllu"
    conllu.write_text("".join(f"{_tok(1, 'water')}\n{_tok(2, 'fire')}\n\n" for _ in range(20)))
    return {
        "run": ["run", str(root / "recipes/demo.py"), "--out", str(mnt / "o")],
        "codeswitch": ["codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(en), "--lang", "en",
                       "--out", str(mnt / "o")],
        "backtranslate": ["backtranslate", "--lexicon", lex, "--src-lang", "en", "--tgt-lang", "sw", "--in", str(sw),
                          "--no-cache", "--out", str(mnt / "o")],
        "project": ["project", "--src", str(conllu), "--tgt", str(conllu), "--field", "upos", "--method", "builtin",
                    "--out", str(mnt / "o.conllu")],
        "align --scores": ["align", "--src", str(en), "--tgt", str(sw), "--method", "builtin", "--scores",
                           str(mnt / "scores.tsv")],
        "lexicon induce": ["lexicon", "induce", "--src", str(en), "--tgt", str(sw), "--method", "builtin",
                           "--out", str(mnt / "lex.tsv")],
        "spm train": ["spm", "train", "--in", str(en), "--model-prefix", str(mnt / "m"), "--vocab-size", "400"],
    }


@pytest.mark.parametrize("verb", ["run", "codeswitch", "backtranslate", "project", "align --scores", "lexicon induce",
                                  "spm train"])
def test_every_writing_verb_on_a_read_only_disk_is_one_line(tmp_path, verb):
    mnt = tmp_path / "ro"
    if not _mount_tmpfs(mnt, "ro"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        args = _verb_cases(tmp_path, mnt)[verb]
        done = subprocess.run(XDATA + args + ["--workers", "1"] * (verb in ("run", "codeswitch", "backtranslate")),
                              capture_output=True, text=True, timeout=600)
        assert done.returncode != 0
        assert "Traceback" not in done.stderr, done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and "Read-only file system" in last, done.stderr
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_corrupt_saved_aligner_and_missing_shard_are_one_line(tmp_path, corpus):
    src = tmp_path / "a.txt"
    tgt = tmp_path / "b.txt"
    src.write_text("".join(f"the child drinks water {i}\n" for i in range(30)))
    tgt.write_text("".join(f"mtoto anakunywa maji {i}\n" for i in range(30)))
    model = tmp_path / "aligner"
    assert cli("align", "--src", str(src), "--tgt", str(tgt), "--method", "builtin", "--save-model", str(model)).exit_code == 0
    (model / "params.npz").write_bytes((model / "params.npz").read_bytes()[:100])
    r = cli("align", "--src", str(src), "--tgt", str(tgt), "--from-model", str(model))
    assert r.exit_code == 2 and r.output.strip().splitlines()[-1] == \
        f"error: {model}: saved aligner is damaged (BadZipFile: File is not a zip file); save it again"
    (model / "model.json").write_text('{"broken')
    r = cli("align", "--src", str(src), "--tgt", str(tgt), "--from-model", str(model))
    assert r.exit_code == 2 and "saved aligner is damaged (JSONDecodeError" in r.output
    out = _dataset(tmp_path, corpus)
    (out / "data" / "part-00000.parquet").unlink()
    for args in (("trace", str(out), "abc"), ("diff", str(out), str(out))):
        r = cli(*args)
        assert r.exit_code == 2
        assert r.output.strip() == f"error: {out / 'data' / 'part-00000.parquet'}: shard listed in the manifest is missing"


def test_project_refuses_to_overwrite_silently(tmp_path):
    p = tmp_path / "x.conllu"
    p.write_text("".join(f"{_tok(1, 'water')}\n{_tok(2, 'fire')}\n\n" for _ in range(5)))
    out = tmp_path / "o.conllu"
    out.write_text("keep me")
    r = cli("project", "--src", str(p), "--tgt", str(p), "--field", "upos", "--method", "builtin", "--out", str(out))
    assert r.exit_code == 2 and f"--out {out} exists; pass --overwrite" in r.output
    assert out.read_text() == "keep me"
    r = cli("project", "--src", str(p), "--tgt", str(p), "--field", "upos", "--method", "builtin", "--out", str(out),
            "--overwrite")
    assert r.exit_code == 0, r.output
    assert "projecting upos" in r.output and out.read_text().startswith("1\twater")


def test_recipe_options_change_the_version(tmp_path):
    """`--set lang=ha` and `--set lang=sw` read the same bytes as other languages: other versions."""
    (tmp_path / "in.txt").write_text("habari ya asubuhi\nasante sana\n")
    recipe = tmp_path / "r.py"
    recipe.write_text("from xdata.io import TextSource\nfrom xdata.pipeline import Identity, Pipeline\n\n\n"
                      "def build(ctx):\n"
                      "    return Pipeline('r', TextSource(ctx.here('in.txt'), ctx.option('lang', 'sw')), [Identity()])\n")
    versions = []
    for i, lang in enumerate(("ha", "sw", "sw")):
        out = tmp_path / f"o{i}"
        r = subprocess.run(XDATA + ["run", str(recipe), "--out", str(out), "--set", f"lang={lang}", "--workers", "1"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        versions.append(read_manifest(out)["version"])
    assert versions[0] != versions[1] and versions[1] == versions[2]


def test_the_same_recipe_in_two_checkouts_gives_the_same_bytes_and_version(tmp_path):
    """Resources (lexicons, models) are identified by their digests, never by where they lie."""
    root = Path(__file__).parents[2]
    digests = set()
    for where in ("a/deep/checkout", "b"):
        d = tmp_path / where
        shutil.copytree(root / "recipes", d / "recipes")
        shutil.copytree(root / "lexicons", d / "lexicons")
        r = subprocess.run(XDATA + ["run", str(d / "recipes" / "demo.py"), "--out", str(d / "out"), "--workers", "1"],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        m = read_manifest(d / "out")
        digests.add((m["content_digest"], m["version"]))
    assert len(digests) == 1


def test_progress_shows_the_share_done_when_the_input_size_is_known(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("".join(f"the child drinks water {i}\n" for i in range(3000)))
    lex = str(Path(__file__).parents[2] / "lexicons/seed/en-sw.tsv")
    r = cli("codeswitch", "--lexicon", lex, "--ratio", "0.5", "--in", str(src), "--lang", "en",
            "--out", str(tmp_path / "o"), "--workers", "1", "--progress")
    assert r.exit_code == 0, r.output
    assert "100.0%" in r.output and "3,000 rows" in r.output


def test_pharaoh_files_bad_bytes_or_out_of_range_links_name_the_line(tmp_path):
    src, tgt = tmp_path / "s.txt", tmp_path / "t.txt"
    src.write_text("a b\nc d e\n")
    tgt.write_text("x y\nz w\n")
    good = tmp_path / "good.pharaoh"
    good.write_text("0-0 1-1\n0-0\n")
    far = tmp_path / "far.pharaoh"
    far.write_text("0-0\n2-5\n")
    bad = tmp_path / "bad.pharaoh"
    bad.write_bytes(b"0-0\n\xff-1\n")
    r = cli("eval", "aer", "--gold", str(good), "--pred", str(far), "--src", str(src), "--tgt", str(tgt))
    assert r.exit_code == 2 and r.output.strip() == \
        f"error: {far}:line 2: link 2-5 is out of range: the pair has 3 source and 2 target words"
    assert cli("eval", "aer", "--gold", str(good), "--pred", str(far)).exit_code == 0  # no sentences: no range
    for args in (["lexicon", "induce", "--src", str(src), "--tgt", str(tgt), "--alignment", str(bad),
                  "--out", str(tmp_path / "l.tsv")],
                 ["lexicon", "induce", "--src", str(src), "--tgt", str(tgt), "--alignment", str(far),
                  "--out", str(tmp_path / "l.tsv")]):
        r = cli(*args)
        assert r.exit_code == 2 and r.output.strip().startswith(f"error: {args[7]}:line 2: "), r.output
        assert not (tmp_path / "l.tsv").exists()


def test_diff_sees_every_change_the_content_digest_sees(tmp_path, corpus):
    """A row whose content is the same but whose per-row details differ (a beam score in meta)
    changes the content digest; diff reports it, apart from content changes."""
    a = _dataset(tmp_path, corpus, "a")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    shard = b / "data" / "part-00000.parquet"
    df = pl.read_parquet(shard)
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit('{"score":-0.171474}'))
                         .otherwise(pl.col("meta")).alias("meta"))
    df.write_parquet(shard)
    r = cli("diff", str(a), str(b))
    assert r.exit_code == 0
    assert "added 0, removed 0, changed 0; same content but other provenance or per-row details" in r.output
    assert "details (scores, meta, input version) in 1" in r.output
