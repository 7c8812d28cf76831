"""Alignment: symmetrization on hand-worked examples, AER, the CLI contracts and their errors."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xdata.align import aer, align_corpus, parse_links, symmetrize
from xdata.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "alignment"
runner = CliRunner()

# Source->target and target->source links of a 4x4 pair, worked by hand.
FWD = {(0, 0), (1, 2), (2, 1), (3, 3)}
BWD = {(0, 0), (1, 1), (2, 1), (3, 3), (3, 2)}


@pytest.mark.parametrize("heuristic, expected", [
    ("intersection", {(0, 0), (2, 1), (3, 3)}),
    ("union", {(0, 0), (1, 1), (1, 2), (2, 1), (3, 2), (3, 3)}),
    # grow-diag, worked by hand: from (0,0) the diagonal neighbour (1,1) joins (row 1 unaligned); from (2,1)
    # the diagonal neighbour (1,2) joins (column 2 unaligned); (3,2) never joins: by the time (3,3) is visited
    # row 3 and column 2 are both aligned. final-and adds nothing more for the same reason.
    ("grow-diag", {(0, 0), (2, 1), (3, 3), (1, 1), (1, 2)}),
    ("grow-diag-final-and", {(0, 0), (2, 1), (3, 3), (1, 1), (1, 2)}),
])
def test_symmetrize(heuristic, expected):
    assert symmetrize(FWD, BWD, 4, 4, heuristic) == expected


def test_final_and_versus_final():
    fwd, bwd = {(0, 0), (2, 3)}, {(0, 0), (2, 2)}
    # grow-diag adds nothing (no neighbour of (0,0)); final adds a union link if either end is unaligned,
    # final-and only if both are.
    assert symmetrize(fwd, bwd, 3, 4, "grow-diag-final") == {(0, 0), (2, 3), (2, 2)}
    assert symmetrize(fwd, bwd, 3, 4, "grow-diag-final-and") == {(0, 0), (2, 3)}


def test_aer_formula():
    gold = [({(0, 0), (1, 1)}, {(1, 2)})]
    assert aer(gold, [{(0, 0), (1, 2)}]) == {"precision": 1.0, "recall": 0.5, "aer": round(1 - (2 + 1) / 4, 4)}


def test_parse_links_errors():
    assert parse_links("0-1 2?3", allow_possible=True) == ({(0, 1)}, {(2, 3)})
    with pytest.raises(InputError, match="malformed link '2p3'"):
        parse_links("0-1 2p3", path="g.txt", lineno=7)


def test_align_corpus_on_a_tiny_corpus():
    src = [["the", "house"], ["the", "book"], ["a", "book"], ["a", "house"]] * 5
    tgt = [["das", "haus"], ["das", "buch"], ["ein", "buch"], ["ein", "haus"]] * 5
    res = align_corpus(src, tgt, method="builtin")
    assert res.links[0] == [(0, 0), (1, 1)] and res.method == "builtin+grow-diag-final-and"
    assert all(0.0 <= s <= 1.0 for s in res.scores)


def test_cli_align_and_eval(tmp_path):
    from xdata.cli import app

    (tmp_path / "s").write_text("the house\nthe book\na book\na house\n" * 5)
    (tmp_path / "t").write_text("das haus\ndas buch\nein buch\nein haus\n" * 5)
    r = runner.invoke(app, ["align", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"), "--method", "builtin"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith("aligned")]
    assert len(lines) == 20 and lines[0] == "0-0 1-1"
    (tmp_path / "pred").write_text("\n".join(lines) + "\n")
    (tmp_path / "gold").write_text("0-0 1-1\n" * 20)
    r = runner.invoke(app, ["eval", "aer", "--gold", str(tmp_path / "gold"), "--pred", str(tmp_path / "pred")])
    assert r.exit_code == 0 and '"aer": 0.0' in r.output
    (tmp_path / "t").write_text("das haus\n")
    r = runner.invoke(app, ["align", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t")])
    assert r.exit_code == 2 and "has 20 lines but" in r.output
    (tmp_path / "gold").write_text("0-0 1x1\n")
    r = runner.invoke(app, ["eval", "aer", "--gold", str(tmp_path / "gold"), "--pred", str(tmp_path / "pred")])
    assert r.exit_code == 2 and "line 1" in r.output and "malformed link '1x1'" in r.output


@pytest.mark.skipif(not DATA.exists(), reason="shared data not available")
def test_eflomal_backend_on_real_gold():
    pytest.importorskip("eflomal")
    from xdata.align import read_pharaoh

    d = DATA / "en-fr"
    src = [ln.split() for ln in (d / "src.txt").read_text().splitlines()]
    tgt = [ln.split() for ln in (d / "tgt.txt").read_text().splitlines()]
    res = align_corpus(src, tgt, method="eflomal")
    score = aer(read_pharaoh(d / "gold.txt", allow_possible=True), [set(x) for x in res.links])
    assert res.method.startswith("eflomal") and score["aer"] < 0.25


def test_link_frequency_by_hand():
    from xdata.align.aligners import link_frequency

    # four runs of a sampler, source->target links (i, j) of a pair with 3 source and 2 target words
    runs = [{(0, 0), (2, 1)}, {(0, 0), (1, 1)}, {(1, 0), (2, 1)}, {(0, 0)}]
    by_target = link_frequency(runs, (2, 3), rows_are_src=False)  # rows: target words
    assert by_target.tolist() == [[0.75, 0.25, 0.0], [0.0, 0.25, 0.5]]
    assert link_frequency(runs, (3, 2), rows_are_src=True).tolist() == by_target.T.tolist()
    assert link_frequency([], (1, 1), rows_are_src=True).tolist() == [[0.0]]


def test_mean_posterior_rule_by_hand():
    import numpy as np

    from xdata.align.aligners import majority_links

    # Rows: the target words 0..3 of a pair, columns: source positions 0..2 (what is missing
    # from a row's sum is its NULL posterior). Mean of the two members, kept above 1/2:
    builtin = np.array([[0.7, 0.2, 0.0],   # agrees with the sampler's 3 of 4 runs: (0.7 + 0.75) / 2 = 0.725
                        [0.1, 0.3, 0.5],   # (0.5 + 0.5) / 2: a tie, not kept
                        [0.0, 0.05, 0.9],  # sure of a link 1 run of 4 gave: (0.9 + 0.25) / 2 = 0.575, kept
                        [0.0, 0.0, 0.7]])  # less sure: (0.7 + 0.25) / 2 = 0.475, not kept
    sampled = np.array([[0.75, 0.25, 0.0],
                        [0.0, 0.25, 0.5],
                        [0.25, 0.0, 0.25],
                        [0.25, 0.0, 0.25]])
    assert majority_links([builtin, sampled], rows_are_src=False) == {(0, 0), (2, 2)}  # (source, target)
    # the same matrices laid out source by target (rows_are_src) give the same links
    assert majority_links([builtin.T.copy(), sampled.T.copy()], rows_are_src=True) == {(0, 0), (2, 2)}
    assert majority_links([builtin], rows_are_src=False) == {(0, 0), (2, 2), (2, 3)}  # one member: its own > 1/2
    assert majority_links([np.zeros((0, 0))], rows_are_src=False) == set()


def test_unanimous_rule_by_hand():
    import numpy as np

    from xdata.align.aligners import majority_links, unanimous_links

    # rows: target words, columns: source positions; the mean rule keeps (0,0) and (2,2) (see the
    # test above), the unanimous one only the links each member puts above 1/2
    builtin = np.array([[0.7, 0.2, 0.0], [0.1, 0.3, 0.5], [0.0, 0.05, 0.9]])
    sampled = np.array([[0.75, 0.25, 0.0], [0.0, 0.25, 0.75], [0.25, 0.0, 0.25]])
    assert majority_links([builtin, sampled], rows_are_src=False) == {(0, 0), (2, 1), (2, 2)}
    assert unanimous_links([builtin, sampled], rows_are_src=False) == {(0, 0)}  # (2,1): the builtin gives 0.5
    assert unanimous_links([builtin.T.copy(), sampled.T.copy()], rows_are_src=True) == {(0, 0)}
    assert unanimous_links([builtin], rows_are_src=False) == majority_links([builtin], rows_are_src=False)
    assert unanimous_links([], rows_are_src=False) == set()


def test_the_default_ensemble_beats_each_member_on_the_en_fr_gold_set():
    pytest.importorskip("eflomal")
    from xdata.align import read_pharaoh

    d = DATA / "en-fr"
    src = [ln.split() for ln in (d / "src.txt").read_text().splitlines()]
    tgt = [ln.split() for ln in (d / "tgt.txt").read_text().splitlines()]
    gold = read_pharaoh(d / "gold.txt", allow_possible=True)
    got = {m: align_corpus(src, tgt, method=m, view="stem") for m in ("auto", "builtin", "eflomal")}
    score = {m: aer(gold, [set(x) for x in r.links])["aer"] for m, r in got.items()}
    assert got["auto"].method.startswith("ensemble(builtin,eflomal x")
    assert score["auto"] < score["builtin"] and score["auto"] < score["eflomal"]
    for fwd in got["auto"].fwd or []:  # still a directional alignment: one link at most per target word
        assert len({j for _, j in fwd}) == len(fwd)


def test_lexicon_induce_round_trip(tmp_path):
    from xdata.cli import app
    from xdata.lexicon import load_lexicon

    (tmp_path / "s").write_text("the house\nthe book\na book\na house\n" * 5)
    (tmp_path / "t").write_text("das haus\ndas buch\nein buch\nein haus\n" * 5)
    (tmp_path / "a").write_text("0-0 1-1\n" * 20)
    r = runner.invoke(app, ["lexicon", "induce", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"),
                            "--alignment", str(tmp_path / "a"), "--src-lang", "en", "--tgt-lang", "de",
                            "--out", str(tmp_path / "lex.tsv")])
    assert r.exit_code == 0, r.output
    lex = load_lexicon(tmp_path / "lex.tsv")
    assert lex.src_lang == "en" and lex.tgt_lang == "de"
    e = lex.lookup("house")[0]
    assert (e.tgt, e.prob, e.note) == ("haus", 1.0, "count=10")  # "the house" and "a house", 5 times each
    (tmp_path / "a").write_text("0-0 1-5\n" * 20)
    r = runner.invoke(app, ["lexicon", "induce", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"),
                            "--alignment", str(tmp_path / "a"), "--out", str(tmp_path / "x.tsv")])
    assert r.exit_code == 2 and "line 1" in r.output and "out of range" in r.output


def test_ensemble_runs_and_names_its_eflomal_samples():
    pytest.importorskip("eflomal")
    from xdata.align.aligners import EnsembleAligner
    from xdata.errors import ConfigError

    src = [["the", "house"], ["the", "book"], ["a", "book"], ["a", "house"]] * 5
    tgt = [["das", "Haus"], ["das", "Buch"], ["ein", "Buch"], ["ein", "Haus"]] * 5
    res = EnsembleAligner(samples=2).align(src, tgt)
    assert res.method == "ensemble(builtin,eflomal x2)+grow-diag-final-and"
    assert all(0 <= i < 2 and 0 <= j < 2 for links in res.links for i, j in links)
    with pytest.raises(ConfigError, match="at least one eflomal run"):
        EnsembleAligner(samples=0)
