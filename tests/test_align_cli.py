"""`xdata align --priors / --save-priors / --scores` end to end on real Hansards sentences, for
both statistical backends (eflomal only when installed): saved priors round-trip and make a
small batch align like the corpus it came from; a lexicon's priors lower AER; bad priors files
and contradictory options fail with file, line and nothing on stdout."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xdata.align import aer, parse_links, read_pharaoh
from xdata.align.priors import load_priors, write_priors
from xdata.cli import app

FR = Path(__file__).resolve().parents[2] / "shared" / "data" / "alignment" / "en-fr"
pytestmark = pytest.mark.skipif(not FR.exists(), reason="shared alignment data not available")
N = 120  # pairs of the gold set aligned in these tests
K = 15  # a "small batch": the first K of them, aligned on their own
runner = CliRunner()


def _lines(name: str) -> list[str]:
    return (FR / name).read_text(encoding="utf-8").splitlines()


def _backend(method: str) -> str:
    if method == "eflomal":
        pytest.importorskip("eflomal")
    return method


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hansards")
    src, tgt = _lines("src.txt"), _lines("tgt.txt")
    for name, lines in (("s", src[:N]), ("t", tgt[:N]), ("s_small", src[:K]), ("t_small", tgt[:K]),
                        ("s_rest", src[K:N]), ("t_rest", tgt[K:N])):
        (d / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def _align(*args) -> tuple[object, list[str]]:
    r = runner.invoke(app, ["align", *map(str, args)])
    return r, r.stdout.splitlines()


def _agreement(a: list[str], b: list[str]) -> float:
    """Shared links over all links (Jaccard) of two Pharaoh outputs."""
    sa = [parse_links(x)[0] for x in a]
    sb = [parse_links(x)[0] for x in b]
    return sum(len(x & y) for x, y in zip(sa, sb)) / max(1, sum(len(x | y) for x, y in zip(sa, sb)))


@pytest.mark.parametrize("method", ["builtin", "eflomal"])
def test_saved_priors_round_trip_and_guide_a_small_batch(corpus, tmp_path, method):
    method = _backend(method)
    s, t, pri_path, sc = corpus / "s", corpus / "t", tmp_path / "p.priors", tmp_path / "scores.txt"
    r, full = _align("--src", s, "--tgt", t, "--method", method, "--save-priors", pri_path, "--scores", sc)
    assert r.exit_code == 0, r.output
    assert len(full) == N and f"priors written to {pri_path}" in r.stderr
    scores = sc.read_text(encoding="utf-8").splitlines()
    assert len(scores) == N and all(0.0 <= float(x) <= 1.0 for x in scores)
    assert len(set(scores)) > 1  # a real per-pair confidence, not a constant

    pri = load_priors(pri_path)
    assert pri.origin == "priors file" and pri.lex and pri.jump_fwd and pri.jump_rev and pri.fert_fwd
    # The counts are those of directional links over the N pairs: one jump per link plus a final
    # one per sentence, and fertilities that add up to the links.
    n_fwd = sum(pri.lex.values())
    assert sum(pri.jump_fwd.values()) == n_fwd + N
    assert sum(k * c for (_, k), c in pri.fert_fwd.items()) == n_fwd
    assert sum(pri.jump_rev.values()) == sum(k * c for (_, k), c in pri.fert_rev.items()) + N
    # Source words first, in the token view the aligner saw (default stem), all from the corpus.
    from xdata.align.view import get_view

    view = get_view()
    src_vocab = {view.word(w) for x in _lines("src.txt")[:N] for w in x.split()}
    tgt_vocab = {view.word(w) for x in _lines("tgt.txt")[:N] for w in x.split()}
    assert {a for a, _ in pri.lex} <= src_vocab and {b for _, b in pri.lex} <= tgt_vocab
    # Writing what was read gives the same bytes.
    write_priors(tmp_path / "again.priors", pri)
    assert (tmp_path / "again.priors").read_bytes() == pri_path.read_bytes()

    # The use case: a small batch aligned later with the saved priors behaves like the corpus.
    small = ("--src", corpus / "s_small", "--tgt", corpus / "t_small", "--method", method)
    r, alone = _align(*small)
    assert r.exit_code == 0, r.output
    r, guided = _align(*small, "--priors", pri_path)
    assert r.exit_code == 0 and "(priors file p.priors)" in r.stderr
    assert len(guided) == K
    assert _agreement(guided, full[:K]) > _agreement(alone, full[:K]) + 0.2
    gold = read_pharaoh(FR / "gold.txt", allow_possible=True)[:K]
    assert aer(gold, [parse_links(x)[0] for x in guided])["aer"] < aer(gold, [parse_links(x)[0] for x in alone])["aer"]


def test_save_priors_counts_only_the_printed_pairs(corpus, tmp_path):
    """Extra training text shapes the links but is not counted in the saved priors."""
    r, links = _align("--src", corpus / "s_small", "--tgt", corpus / "t_small", "--method", "builtin",
                      "--train-extra-src", corpus / "s_rest", "--train-extra-tgt", corpus / "t_rest",
                      "--save-priors", tmp_path / "p")
    assert r.exit_code == 0, r.output
    pri = load_priors(tmp_path / "p")
    assert len(links) == K and sum(pri.jump_fwd.values()) - sum(pri.lex.values()) == K
    assert sum(pri.lex.values()) == sum(k * c for (_, k), c in pri.fert_fwd.items())


def _gold_lexicon(path: Path, sep: str) -> None:
    """A lexicon from the sure gold links of pairs NOT aligned in the tests (N onwards)."""
    src, tgt = _lines("src.txt")[N:], _lines("tgt.txt")[N:]
    entries = set()
    for (sure, _), s, t in zip(read_pharaoh(FR / "gold.txt", allow_possible=True)[N:], src, tgt):
        a, b = s.split(), t.split()
        entries |= {(a[i].lower(), b[j].lower()) for i, j in sure}
    path.write_text("".join(f"{a}{sep}{b}\n" for a, b in sorted(entries)), encoding="utf-8")


@pytest.mark.parametrize("sep", [" ", "\t"])  # MUSE, TSV; eflomal reads the same priors (test above)
def test_lexicon_priors_lower_the_error(corpus, tmp_path, sep):
    method = "builtin"
    lex = tmp_path / ("lex.txt" if sep == " " else "lex.tsv")
    _gold_lexicon(lex, sep)
    base = ("--src", corpus / "s", "--tgt", corpus / "t", "--method", method)
    r, plain = _align(*base)
    assert r.exit_code == 0, r.output
    r, guided = _align(*base, "--priors", lex, "--priors-weight", "2")
    assert r.exit_code == 0, r.output
    assert f"(lexicon {lex.name})" in r.stderr and len(guided) == N
    gold = read_pharaoh(FR / "gold.txt", allow_possible=True)[:N]
    a_plain = aer(gold, [parse_links(x)[0] for x in plain])["aer"]
    a_guided = aer(gold, [parse_links(x)[0] for x in guided])["aer"]
    assert a_guided < a_plain - 0.01, (a_plain, a_guided)


@pytest.mark.parametrize("content,line,message", [
    (b"LEX\tthe\tle\t1\nLEX\tthe\tle\n", 2, "expected 'LEX<TAB>src<TAB>tgt<TAB>alpha'"),
    (b"# made by hand\nHMMF\t1\t2.5\nFERF\tthe\tmany\t1\n", 3, "expected numbers"),
    (b"LEX\tthe\tle\t-1\n", 1, "must not be negative"),
    (b"LEX\tthe\tle\t1\nLEX\t\xff\tle\t1\n", 2, "invalid UTF-8"),
    (b"the le\ncat\n", 2, "expected 'source target'"),  # a MUSE lexicon with a one-word line
])
def test_malformed_priors_name_file_and_line(corpus, tmp_path, content, line, message):
    bad = tmp_path / "bad.priors"
    bad.write_bytes(content)
    r, out = _align("--src", corpus / "s_small", "--tgt", corpus / "t_small", "--method", "builtin", "--priors", bad)
    assert r.exit_code == 2 and out == []
    assert f"{bad}:line {line}:" in r.stderr and message in r.stderr, r.stderr


@pytest.mark.parametrize("extra,message", [
    (["--method", "neural", "--priors", "p"], "--priors applies to the statistical aligners"),
    (["--method", "neural", "--save-priors", "p"], "--save-priors applies to the statistical aligners"),
    (["--from-model", "m", "--priors", "p"], "--priors applies when training"),
    (["--from-model", "m", "--method", "eflomal"], "cannot be used with --method eflomal"),
    (["--from-model", "m", "--train-extra-src", "s", "--train-extra-tgt", "t"], "--from-model trains nothing"),
    (["--scores", "no/such/dir/scores.txt"], "--scores: the directory"),
    (["--save-priors", "no/such/dir/p"], "--save-priors: the directory"),
    (["--priors", "missing.priors"], "no such priors file"),
])
def test_contradictory_options_fail_before_any_work(corpus, extra, message):
    r, out = _align("--src", corpus / "s_small", "--tgt", corpus / "t_small", *extra)
    assert r.exit_code == 2 and out == [] and message in r.stderr, r.stderr
    assert "aligned" not in r.stderr


def test_scores_are_line_parallel_even_with_empty_sentences(tmp_path):
    src, tgt = _lines("src.txt")[:40], _lines("tgt.txt")[:40]
    src[3] = ""  # a pair with nothing on the source side
    tgt[7] = ""
    (tmp_path / "s").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp_path / "t").write_text("\n".join(tgt) + "\n", encoding="utf-8")
    r, links = _align("--src", tmp_path / "s", "--tgt", tmp_path / "t", "--method", "builtin",
                      "--scores", tmp_path / "sc")
    assert r.exit_code == 0, r.output
    scores = [float(x) for x in (tmp_path / "sc").read_text().splitlines()]
    assert len(links) == len(scores) == 40
    assert links[3] == links[7] == "" and scores[3] == scores[7] == 0.0
    assert all(x and s > 0 for k, (x, s) in enumerate(zip(links, scores)) if k not in (3, 7))
