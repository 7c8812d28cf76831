"""`xdata report DIR`: figures checked against the rows, the page rendered by a real browser,
and the inputs a tired user or a hostile file gives it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.recipe import run_recipe
from xdata.report import report

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "recipes" / "demo.py"
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<script>document.body.setAttribute('data-pwned','1')</script>"
HOSTILE_IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> & \"quotes\""

# A recipe whose own step adds the origin and split columns (as a mix/split stage would).
TEXT_RECIPE = '''
from dataclasses import dataclass

import polars as pl

from xdata.filters import Dedup
from xdata.io import JsonlSource
from xdata.lid import LidTag
from xdata.pipeline import MapStep, Pipeline


@dataclass(frozen=True)
class _P:
    pass


class MarkOrigin(MapStep):
    """Rows scraped with their markup come from "web"; of the others every 4th source row is
    back-translated. Rows 0, 10, 20 ... are test, 1, 11 ... validation, the rest train."""

    name = "test-mark-origin"
    writes = ("origin", "split")
    Params = _P

    def map(self, batch, ctx):
        r = pl.col("src_row")
        return batch.with_columns(
            pl.when(pl.col("text").str.starts_with("<")).then(pl.lit("web"))
            .when(r % 4 == 0).then(pl.lit("bt")).otherwise(pl.lit("real")).alias("origin"),
            pl.when(r % 10 == 0).then(pl.lit("test")).when(r % 10 == 1).then(pl.lit("validation"))
            .otherwise(pl.lit("train")).alias("split"))


def build(ctx):
    return Pipeline(name="mixed", source=JsonlSource(ctx.option("input"), "text", name="mixed"),
                    steps=[LidTag(), Dedup(), MarkOrigin()], license="cc-by-4.0")
'''

TAGGED_RECIPE = '''
from dataclasses import dataclass

import polars as pl

from xdata.io.readers import FrameSource
from xdata.pipeline import MapStep, Pipeline
from xdata.project.step import Project

TAGS = {"the black cat sleeps": ["DET", "ADJ", "NOUN", "VERB"], "New York Times": ["B-ORG", "I-ORG", "I-ORG"],
        "Ann sleeps": ["B-PER", "O"], "the dog runs": ["DET", "NOUN", "VERB"], "a b": ["X", "Y"]}


@dataclass(frozen=True)
class _P:
    pass


class AttachTags(MapStep):
    name = "test-attach-tags"
    kinds = ("pair",)
    writes = ("src_tags",)
    Params = _P

    def map(self, batch, ctx):
        return batch.with_columns(pl.Series("src_tags", [TAGS[s] for s in batch["src"]], pl.List(pl.String)))


class Projected(MapStep):
    name = "test-origin-projected"
    writes = ("origin",)
    Params = _P

    def map(self, batch, ctx):
        return batch.with_columns(pl.lit("projected").alias("origin"))


def build(ctx):
    df = pl.DataFrame({
        "src_lang": ["en"] * 5,
        "src": ["the black cat sleeps", "New York Times", "Ann sleeps", "the dog runs", "a b"],
        "tgt_lang": ["fr"] * 5,
        "tgt": ["le chat noir dort", "Times de New York", "Ann dort", "le chien court", "x"],
        "alignment": ["0-0 1-2 2-1 3-3", "0-2 1-3 2-0", "0-0 1-1", "0-0 1-1 2-2", "0-5"],
    })
    return Pipeline(name="proj", source=FrameSource(df, name="pairs"), steps=[AttachTags(), Project(), Projected()])
'''


def _text_input(path: Path) -> Path:
    en = [f"The farmers in village number {i} need more rain for the maize this year." for i in range(40)]
    sw = [f"Wakulima wa kijiji namba {i} wanahitaji mvua zaidi kwa mahindi mwaka huu." for i in range(24)]
    rows = [{"lang": "en", "text": t} for t in en] + [{"lang": "sw", "text": t} for t in sw]
    rows += [{"lang": "sw", "text": "ሰላም ነው ወንድሜ እንዴት ነህ"}, {"lang": "sw", "text": "ሰላም ነው ወንድሜ"}]
    rows += [{"lang": "ha", "text": "Manoma suna bukatar ruwan sama."}]  # the under-served language
    rows += [{"lang": "en", "text": HOSTILE}, {"lang": "en", "text": HOSTILE_IMG}]
    rows += [{"lang": "en", "text": en[3]}, {"lang": "sw", "text": sw[5]}]  # duplicates: rejected by dedup
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    run_recipe(DEMO, root / "demo", workers=1)
    (root / "text_recipe.py").write_text(TEXT_RECIPE, encoding="utf-8")
    run_recipe(root / "text_recipe.py", root / "mixed", workers=1,
               options={"input": str(_text_input(root / "mixed.jsonl"))})
    (root / "tagged_recipe.py").write_text(TAGGED_RECIPE, encoding="utf-8")
    run_recipe(root / "tagged_recipe.py", root / "proj", workers=1)
    return root


def _rows(d: Path) -> pl.DataFrame:
    return pl.read_parquet(d / "data")


def _load(html: Path) -> dict:
    return json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))


def test_text_report_figures_match_the_rows(built, tmp_path):
    d = built / "mixed"
    page = report(d, tmp_path / "mixed.html")
    f = _load(page)
    rows = _rows(d)
    langs = f["languages"]
    assert {k: v["rows"] for k, v in langs.items()} == dict(rows["lang"].value_counts().iter_rows())
    assert langs["ha"]["few_rows"] and not langs["en"]["few_rows"] and not langs["sw"]["few_rows"]
    for lg, part in rows.group_by("lang"):
        lg = lg[0]
        e = langs[lg]
        assert e["origins"] == dict(part["origin"].value_counts().iter_rows())
        assert e["splits"] == dict(part["split"].value_counts().iter_rows())
        chars = np.array([len(t) for t in part["text"].to_list()])
        words = np.array([len(t.split()) for t in part["text"].to_list()])
        assert e["chars"]["p50"] == pytest.approx(np.percentile(chars, 50), abs=1e-4)
        assert e["chars"]["p90"] == pytest.approx(np.percentile(chars, 90), abs=1e-4)
        assert e["words"]["p50"] == pytest.approx(np.percentile(words, 50), abs=1e-4)
        assert sum(f["histograms"]["chars"][lg]["counts"]) == part.height
        agree = sum(a == b for a, b in zip(part["lid_lang"].to_list(), part["lang"].to_list()))
        assert e["lid"]["agreeing_rows"] == agree and e["lid"]["rows"] == part.height
        assert e["synthetic"]["share"] == pytest.approx(round((part["origin"] == "bt").mean(), 4))
    sw_ethi = sum(1 for t in rows.filter(pl.col("lang") == "sw")["text"] if "ሰ" in t) / langs["sw"]["rows"]
    assert langs["sw"]["scripts"]["rows_by_dominant_script"]["Ethi"] == pytest.approx(round(sw_ethi, 4))
    assert f["origin_present"] and f["split_present"]
    rej = pl.read_parquet(d / "rejects")
    want = {(s, r): n for s, r, n in rej.group_by("step", "reason").len().iter_rows()}
    assert {(x["step"], x["reason"]): x["rows"] for x in f["rejects"]["by_reason"]} == want and want
    assert f["rejects"]["by_language"] == {"en": {rej["step"][0]: 1}, "sw": {rej["step"][0]: 1}}
    # sample rows: 5 per origin, the same for the same seed
    for origin, n in rows["origin"].value_counts().iter_rows():
        assert len(f["samples"][origin]) == min(5, n)
    again = _load(report(d, tmp_path / "again.html"))
    assert again["samples"] == f["samples"]
    other = _load(report(d, tmp_path / "other.html", seed=7, sample=2))
    assert [len(v) for v in other["samples"].values()] == [2, 2, 2]
    assert [r["id"] for r in other["samples"]["real"]] != [r["id"] for r in f["samples"]["real"][:2]]
    assert {r["text"] for r in f["samples"]["web"]} == {HOSTILE, HOSTILE_IMG}
    # the page: every figure is an embedded PNG, nothing loads from elsewhere, row text is escaped
    html = page.read_text(encoding="utf-8")
    imgs = re.findall(r'<img src="([^"]*)"', html)
    assert len(imgs) == len(f["images"]) >= 8 and all(s.startswith("data:image/png;base64,") for s in imgs)
    assert not re.search(r"(src|href)=\"(https?:|//)", html)
    assert html.count("<script>") == 1 and "data-pwned" in html
    assert "&lt;script&gt;document.body.setAttribute(&#x27;data-pwned&#x27;,&#x27;1&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;" in html and "<img src=x" not in html


def test_pair_report_from_the_demo_recipe(built, tmp_path):
    d = built / "demo"
    f = _load(report(d, tmp_path / "demo.html"))
    rows = _rows(d)
    assert set(f["languages"]) == {"en (src)", "sw (tgt)"}
    assert f["languages"]["sw (tgt)"]["rows"] == rows.height == f["dataset"]["rows"]
    assert not f["origin_present"] and f["languages"]["en (src)"]["origins"] == {"unknown": rows.height}
    for side in ("src", "tgt"):
        e = f["languages"][f"{rows[side + '_lang'][0]} ({side})"]
        lens = np.array([len(t) for t in rows[side].to_list()])
        assert e["chars"]["p50"] == pytest.approx(np.percentile(lens, 50), abs=1e-4)
        agree = (rows[f"{side}_lid_lang"] == rows[f"{side}_lang"]).sum()
        assert e["lid"]["agreeing_rows"] == agree
    ratio = np.array([len(a) / len(b) for a, b in zip(rows["src"].to_list(), rows["tgt"].to_list())])
    assert f["length_ratio"]["en-sw"]["p50"] == pytest.approx(np.percentile(ratio, 50), abs=1e-4)
    # code-switching: the realized ratio per row from the step's own columns, and rows its meta shows switched
    cs = f["codeswitch"]["en (src)"]
    switched = [json.loads(m).get("codeswitch") is not None for m in rows["meta"].to_list()]
    assert cs["rows_switched"] == sum(switched) > 0
    r = (rows["cs_switched"] / rows["cs_tokens"]).to_numpy()
    assert cs["switched_ratio"]["p90"] == pytest.approx(np.percentile(r, 90), abs=1e-4)
    assert f["languages"]["en (src)"]["synthetic"]["cs"] == pytest.approx(round(sum(switched) / rows.height, 4))
    m = json.loads((d / "manifest.json").read_text())
    assert {f"{x['step']}: {x['reason']}": x["rows"] for x in f["rejects"]["by_reason"]} == m["stats"]["reject_reasons"]
    assert f["projection"] == {} and f["backtranslate"] == {}
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert "projection confidence: not present in this dataset." in html


def test_tagged_projection_report(built, tmp_path):
    d = built / "proj"
    f = _load(report(d, tmp_path / "proj.html"))
    rows = _rows(d)
    assert f["kind"] == "tagged" and f["languages"]["fr"]["rows"] == rows.height
    assert f["languages"]["fr"]["synthetic"]["projected"] == 1.0
    metas = [json.loads(x)["project"] for x in rows["meta"].to_list()]
    agreement = [float(np.mean(p["agreement"])) for p in metas if p.get("agreement")]
    spans = [s["confidence"] for p in metas for s in p.get("spans", [])]
    pj = f["projection"]["fr"]
    assert pj["token_agreement"]["rows"] == len(agreement) > 0
    assert pj["token_agreement"]["p50"] == pytest.approx(np.percentile(agreement, 50), abs=1e-4)
    assert pj["span_confidence"]["rows"] == len(spans) > 0
    assert pj["span_confidence"]["mean"] == pytest.approx(np.mean(spans), abs=1e-4)
    words = [len(t) for t in rows["tokens"].to_list()]
    assert f["languages"]["fr"]["words"]["p50"] == pytest.approx(np.percentile(words, 50), abs=1e-4)
    assert f["rejects"]["rows"] == 1 and "out of range" in f["rejects"]["by_reason"][0]["reason"]


def test_back_translation_scores(tmp_path):
    from xdata.backtranslate.filters import CopyFilter, RepetitionFilter
    from xdata.backtranslate.step import BackTranslate
    from xdata.io import TextSource
    from xdata.pipeline import Pipeline, run

    mono = tmp_path / "sw.txt"
    mono.write_text("".join(f"{s} {i}\n" for i in range(12) for s in (
        "Maji ni uhai kwa watoto.", "Mama anapika chakula.", "Mtoto anasoma kitabu shuleni.", "Habari za asubuhi."
    )), encoding="utf-8")
    lex = ROOT / "lexicons" / "seed" / "en-sw.tsv"
    steps = [BackTranslate(src_lang="en", lexicon=str(lex), decode="beam", n=2), CopyFilter(max_overlap=0.65),
             RepetitionFilter()]
    run(Pipeline("bt", TextSource(mono, "sw"), steps), tmp_path / "bt", workers=1)
    f = _load(report(tmp_path / "bt", tmp_path / "bt.html"))
    rows = _rows(tmp_path / "bt")
    bt = f["backtranslate"]["en (src)"]
    assert bt["bt_copy"]["rows"] == rows.height > 0
    assert bt["bt_copy"]["p50"] == pytest.approx(np.percentile(rows["bt_copy"].to_numpy(), 50), abs=1e-4)
    metas = [json.loads(m)["backtranslate"] for m in rows["meta"].to_list()]
    # the lexicon engine gives no beam score: the report shows none rather than inventing one
    assert all("score" not in x for x in metas) and "engine_score" not in bt
    assert bt["truncated"]["rows"] == rows.height and bt["truncated"]["mean"] == np.mean([x["truncated"] for x in metas])
    assert bt["bt_repeat"]["p90"] == pytest.approx(np.percentile(rows["bt_repeat"].to_numpy(), 90), abs=1e-4)
    assert f["languages"]["en (src)"]["synthetic"]["bt"] == 1.0 == f["languages"]["sw (tgt)"]["synthetic"]["share"]
    rej = pl.read_parquet(tmp_path / "bt" / "rejects")
    assert f["rejects"]["by_step"] == {s: n for s, n in rej.group_by("step").len().iter_rows()} != {}


def test_fertility_with_a_sentencepiece_model(built, tmp_path):
    from xdata.tokenize import word_tokenize
    from xdata.tokenize.subword import Tokenizer, train

    d = built / "demo"
    rows = _rows(d)
    model = train(rows["src"].to_list() + rows["tgt"].to_list(), tmp_path / "spm", vocab_size=600)
    r = runner.invoke(app, ["report", str(d), "--out", str(tmp_path / "f.html"), "--tokenizer", str(model)])
    assert r.exit_code == 0, r.output
    f = _load(tmp_path / "f.html")
    tok = Tokenizer.load(model)
    for side in ("src", "tgt"):
        words = [w for t in rows[side].to_list() for w in word_tokenize(t)]
        want = sum(len(tok.pieces(w)) for w in words) / len(words)
        got = f["fertility"][model.name][f"{rows[side + '_lang'][0]} ({side})"]
        assert got["words"] == len(words) and got["fertility"] == pytest.approx(round(want, 4))


def test_default_output_is_beside_the_directory_and_verify_stays_clean(built, tmp_path):
    d = tmp_path / "demo"
    shutil.copytree(built / "demo", d)
    r = runner.invoke(app, ["report", str(d)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "demo.report.html").is_file() and (tmp_path / "demo.report.json").is_file()
    assert f"wrote {tmp_path / 'demo.report.html'}" in r.output
    assert runner.invoke(app, ["verify", str(d)]).exit_code == 0
    r = runner.invoke(app, ["report", str(d), "--out", str(d / "r.html")])
    assert r.exit_code == 2 and "inside the dataset directory" in r.output and not (d / "r.html").exists()


def test_existing_report_is_replaced_atomically(built, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old page", encoding="utf-8")
    os.link(out, tmp_path / "keep.html")  # a rename leaves the old inode (and this link) untouched
    report(built / "proj", out)
    assert (tmp_path / "keep.html").read_text(encoding="utf-8") == "old page"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.html", "r.html", "r.json"]  # no temporary left


def test_tired_user_errors(built, tmp_path):
    (tmp_path / "plain").mkdir()
    r = runner.invoke(app, ["report", str(tmp_path / "plain")])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert r.output.startswith(f"error: {tmp_path / 'plain'}: no manifest.json")
    r = runner.invoke(app, ["report", str(built / "proj"), "--out", str(tmp_path / "nowhere" / "r.html")])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert f"{tmp_path / 'nowhere'}: cannot write the report: the output directory does not exist" in r.output
    r = runner.invoke(app, ["report", str(built / "proj"), "--out", str(tmp_path / "r.html"),
                            "--tokenizer", str(tmp_path / "no.model")])
    assert r.exit_code == 2 and "tokenizer model not found" in r.output
    assert list(tmp_path.iterdir()) == [tmp_path / "plain"]


def test_garbage_shard_is_one_line_naming_the_dataset(built, tmp_path):
    d = tmp_path / "demo"
    shutil.copytree(built / "demo", d)
    (d / "data" / "part-00000.parquet").write_bytes(b"PAR1 this is not parquet")
    r = runner.invoke(app, ["report", str(d), "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and str(d) in r.output, r.output
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("blocked, extra, purpose", [("matplotlib", "plots", "xdata report"),
                                                      ("sentencepiece", "models", "xdata report --tokenizer")])
def test_missing_extra_is_named_before_the_work(built, tmp_path, blocked, extra, purpose):
    (tmp_path / "t.model").write_bytes(b"not read: the missing package is found first")
    code = (f"import sys; sys.modules[{blocked!r}] = None\n"
            "from xdata.cli import app\n"
            f"app(['report', {str(built / 'proj')!r}, '--out', {str(tmp_path / 'r.html')!r}, "
            f"'--tokenizer', {str(tmp_path / 't.model')!r}])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 2
    assert p.stderr.strip() == (f"error: {purpose} needs the optional package {blocked!r}, which is not installed. "
                                f"Install it with: pip install 'xdata[{extra}]'")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (.ci/setup installs it)")
def test_page_renders_in_a_real_browser(built, tmp_path):
    page = report(built / "mixed", tmp_path / "mixed.html")
    f = _load(page)
    p = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    body = re.search(r"<body[^>]*>", p.stdout)
    assert body is not None, p.stdout[:2000]
    assert 'data-report-check="ok"' in body.group(0), p.stdout[-3000:]
    assert f'data-report-images="{len(f["images"])}"' in body.group(0)
    assert "data-pwned" not in body.group(0)  # the row's script did not run, its img did not load
    assert "&lt;script&gt;document.body.setAttribute('data-pwned','1')&lt;/script&gt;" in p.stdout
    console = [ln for ln in p.stderr.splitlines() if ":CONSOLE" in ln]  # page errors, CSP refusals, ...
    assert console == []
