"""Alignment in pipelines (Align, AlignmentFilter) and the `xdata align` options for priors,
saved aligners and scores, on real gold-set sentences."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_align_neural import encoder  # noqa: F401 - the tiny BERT fixture
from xdata.align import format_links
from xdata.align.hmm import HMMAligner, HMMConfig
from xdata.align.priors import load_priors
from xdata.align.step import Align, AlignmentFilter
from xdata.cli import app
from xdata.dataset import load_rows
from xdata.errors import ConfigError, InputError
from xdata.io import FrameSource, ParallelSource
from xdata.pipeline import Pipeline, run

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FR = DATA / "alignment" / "en-fr"
pytestmark = pytest.mark.skipif(not FR.exists(), reason="shared data not available")
runner = CliRunner()


def _lines(name, n=None):
    return (FR / name).read_text(encoding="utf-8").splitlines()[:n]


@pytest.fixture(scope="module")
def saved_aligner(tmp_path_factory):
    src = [s.split() for s in _lines("src.txt", 400)]
    tgt = [t.split() for t in _lines("tgt.txt", 400)]
    return HMMAligner.train(src, tgt).save(tmp_path_factory.mktemp("aligner") / "m")


def _pairs(tmp_path):
    (tmp_path / "s.txt").write_text("\n".join(_lines("src.txt")[400:]) + "\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("\n".join(_lines("tgt.txt")[400:]) + "\n", encoding="utf-8")
    return ParallelSource(tmp_path / "s.txt", tmp_path / "t.txt", "en", "fr", name="hansards")


def test_align_step_with_a_saved_aligner_is_batch_independent(tmp_path, saved_aligner):
    steps = lambda: [Align(model_dir=str(saved_aligner)), AlignmentFilter(min_score=0.6)]  # noqa: E731
    a = run(Pipeline("al", _pairs(tmp_path), steps()), tmp_path / "a", workers=1, batch_size=5)
    b = run(Pipeline("al", _pairs(tmp_path), steps()), tmp_path / "b", workers=2, batch_size=1000, block_rows=20)
    assert a["content_digest"] == b["content_digest"]
    assert a["steps"][0]["resources"]["aligner"] == HMMAligner.load(saved_aligner).digest
    rows = load_rows(tmp_path / "a")
    n_in = len(_lines("src.txt")) - 400
    acc = a["accounting"][-1]
    assert acc["in"] == n_in and acc["out"] == rows.height and acc["rejected"] == n_in - rows.height
    assert 0 < rows.height < n_in and all(s >= 0.6 for s in rows["align_score"].to_list())
    # The links are those of the aligner itself, on whitespace tokens.
    model = HMMAligner.load(saved_aligner)
    res = model.align([s.split() for s in rows["src"].to_list()], [t.split() for t in rows["tgt"].to_list()])
    assert rows["alignment"].to_list() == [format_links(x) for x in res.links]
    import polars as pl

    rej = pl.concat([pl.read_parquet(tmp_path / "a" / r["path"]) for r in a["rejects"]])
    assert rej.height == n_in - rows.height
    assert all("alignment score" in r and "below 0.6" in r for r in rej["reason"].to_list())


def test_align_step_neural_and_its_errors(tmp_path, encoder):  # noqa: F811
    rows = [{"src_lang": "en", "src": "the cat sat on the mat", "tgt_lang": "en", "tgt": "the cat sat on the mat"},
            {"src_lang": "en", "src": "a dog ran to the house .", "tgt_lang": "fr", "tgt": "le chien"}]
    m1 = run(Pipeline("n", FrameSource(rows, "pair"), [Align(model=encoder)]), tmp_path / "a", workers=1, batch_size=1)
    m2 = run(Pipeline("n", FrameSource(rows, "pair"), [Align(model=encoder)]), tmp_path / "b", workers=1, batch_size=2)
    assert m1["content_digest"] == m2["content_digest"]
    out = load_rows(tmp_path / "a")
    assert out["alignment"][0] == "0-0 1-1 2-2 3-3 4-4 5-5" and out["align_score"][0] > 0.99
    assert m1["steps"][0]["resources"]["encoder"]
    with pytest.raises(ConfigError, match="exactly one of model_dir="):
        Align()
    with pytest.raises(InputError, match="not a saved xdata aligner"):
        Align(model_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="unknown symmetrization"):
        Align(model=encoder, sym="diagonal")
    with pytest.raises(ConfigError, match=r"min_score must be in \[0, 1\]"):
        AlignmentFilter(min_score=2.0)
    # tokens from columns: a pipeline without a Tokenize step is refused before any data moves
    from xdata.errors import PipelineError

    with pytest.raises(PipelineError, match="reads column.s. src_tokens, tgt_tokens that no earlier step produces"):
        run(Pipeline("n", FrameSource(rows, "pair"), [Align(model=encoder, tokenize="columns")]), tmp_path / "c")


@pytest.fixture
def small(tmp_path):
    (tmp_path / "s").write_text("\n".join(_lines("src.txt", 120)) + "\n", encoding="utf-8")
    (tmp_path / "t").write_text("\n".join(_lines("tgt.txt", 120)) + "\n", encoding="utf-8")
    return tmp_path


def _align(args):
    r = runner.invoke(app, ["align", *map(str, args)])
    return r, [ln for ln in r.stdout.splitlines()] if r.exit_code == 0 else []


def test_cli_saved_model_priors_and_scores(small):
    s, t = small / "s", small / "t"
    r, first = _align(["--src", s, "--tgt", t, "--method", "builtin", "--save-model", small / "m",
                       "--save-priors", small / "p.txt", "--scores", small / "sc.txt"])
    assert r.exit_code == 0, r.output
    assert len(first) == 120 and "hmm iteration 5" in r.stderr
    scores = [float(x) for x in (small / "sc.txt").read_text().split()]
    assert len(scores) == 120 and all(0 <= x <= 1 for x in scores)
    # A saved aligner gives the same links without training, also for a subset of the pairs.
    r, again = _align(["--src", s, "--tgt", t, "--from-model", small / "m"])
    assert r.exit_code == 0 and again == first
    (small / "s5").write_text("\n".join(_lines("src.txt", 120)[50:55]) + "\n", encoding="utf-8")
    (small / "t5").write_text("\n".join(_lines("tgt.txt", 120)[50:55]) + "\n", encoding="utf-8")
    r, part = _align(["--src", small / "s5", "--tgt", small / "t5", "--from-model", small / "m"])
    assert part == first[50:55]
    # Saved priors: word pairs from the links, read back by the same loader.
    pri = load_priors(small / "p.txt")
    assert pri.origin == "priors file" and pri.jump_fwd and pri.lex[("the", "le")] >= 5
    r, guided = _align(["--src", s, "--tgt", t, "--method", "builtin", "--priors", small / "p.txt"])
    assert r.exit_code == 0 and "priors: " in r.stderr and len(guided) == 120


def test_cli_lexicon_priors_change_the_links(small):
    lex = DATA / "dictionaries" / "muse_en-fr.txt"
    if not lex.exists():
        pytest.skip("MUSE en-fr not in shared data")
    s, t = small / "s", small / "t"
    _, plain = _align(["--src", s, "--tgt", t, "--method", "builtin"])
    r, guided = _align(["--src", s, "--tgt", t, "--method", "builtin", "--priors", lex, "--priors-weight", "1"])
    assert r.exit_code == 0 and "(lexicon muse_en-fr.txt)" in r.stderr
    assert plain != guided


def test_cli_priors_and_model_errors(small):
    s, t = small / "s", small / "t"
    (small / "bad.txt").write_text("LEX\tthe\tle\t1\nHMMF\tx\t2\n", encoding="utf-8")
    r, _ = _align(["--src", s, "--tgt", t, "--method", "builtin", "--priors", small / "bad.txt"])
    assert r.exit_code == 2 and "bad.txt" in r.output and "line 2" in r.output and "expected numbers" in r.output
    r, _ = _align(["--src", s, "--tgt", t, "--method", "builtin", "--priors", small / "missing.txt"])
    assert r.exit_code == 2 and "no such priors file" in r.output
    r, _ = _align(["--src", s, "--tgt", t, "--from-model", small])
    assert r.exit_code == 2 and "not a saved xdata aligner" in r.output
    model_json = small / "m" / "model.json"
    HMMAligner.train([["a"]], [["b"]], cfg=HMMConfig(ibm1_iterations=1, hmm_iterations=1)).save(small / "m")
    meta = json.loads(model_json.read_text())
    meta["format"] = "something-else/9"
    model_json.write_text(json.dumps(meta))
    r, _ = _align(["--src", s, "--tgt", t, "--from-model", small / "m"])
    assert r.exit_code == 2 and "unknown aligner format" in r.output


def _step_rows():
    """20 Hansards pairs; two with punctuation glued to words, so the tokenizations differ."""
    rows = [{"src_lang": "en", "src": s, "tgt_lang": "fr", "tgt": t}
            for s, t in zip(_lines("src.txt", 20), _lines("tgt.txt", 20))]
    for r in rows[3:5]:
        r["src"] = r["src"].replace(" .", ".").replace(" ,", ",")
        r["tgt"] = r["tgt"].replace(" .", ".").replace(" ,", ",")
    return rows


@pytest.mark.parametrize("backend,tokenize", [("builtin", "whitespace"), ("builtin", "words"), ("builtin", "columns"),
                                              ("neural", "whitespace"), ("neural", "words")])
def test_align_step_same_output_for_batch_sizes_1_and_7(tmp_path, saved_aligner, encoder, backend, tokenize):  # noqa: F811
    from xdata.tokenize import word_tokenize
    from xdata.tokenize.step import Tokenize

    fixed = {"model_dir": str(saved_aligner)} if backend == "builtin" else {"model": encoder}

    def steps():
        return ([Tokenize()] if tokenize == "columns" else []) + [Align(tokenize=tokenize, **fixed)]

    rows = _step_rows()
    m1 = run(Pipeline("al", FrameSource(rows, "pair"), steps()), tmp_path / "b1", workers=1, batch_size=1)
    m7 = run(Pipeline("al", FrameSource(rows, "pair"), steps()), tmp_path / "b7", workers=1, batch_size=7)
    assert m1["content_digest"] == m7["content_digest"]
    a, b = load_rows(tmp_path / "b1"), load_rows(tmp_path / "b7")
    assert a["alignment"].to_list() == b["alignment"].to_list() and a["align_score"].to_list() == b["align_score"].to_list()
    assert m1["steps"][-1]["resources"] == m7["steps"][-1]["resources"] != {}

    # The links are the aligner's own on the chosen tokens, aligned all at once outside a pipeline.
    def toks(text, lang):
        if not text:
            return []
        return text.split() if tokenize == "whitespace" else word_tokenize(text, lang)

    src = [toks(r["src"], "en") for r in rows]
    tgt = [toks(r["tgt"], "fr") for r in rows]
    if backend == "builtin":
        want = [format_links(x) for x in HMMAligner.load(saved_aligner).align(src, tgt).links]
    else:
        from xdata.align.neural import NeuralAligner

        want = [format_links(x) for x in NeuralAligner(encoder).align(src, tgt).links]
    got = a["alignment"].to_list()
    assert got == want and all(got)
    assert all(0.0 < x <= 1.0 for x in a["align_score"].to_list())
