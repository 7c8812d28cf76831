"""`xdata eval tags`: accuracy, coverage, all-token accuracy and seqeval-style span scores."""

import json

import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.errors import InputError
from xdata.project import evaluate_tags

runner = CliRunner()


def _doc(sents):
    out = []
    for k, rows in enumerate(sents):
        out.append(f"# sent_id = s{k}")
        for i, (form, upos, ner) in enumerate(rows, 1):
            misc = f"NER={ner}" if ner else "_"
            out.append(f"{i}\t{form}\t_\t{upos}\t_\t_\t0\tdep\t_\t{misc}")
        out.append("")
    return "\n".join(out) + "\n"


GOLD = [[("Anna", "PROPN", "B-PER"), ("Smith", "PROPN", "I-PER"), ("went", "VERB", "O"), ("to", "ADP", "O"),
         ("New", "PROPN", "B-LOC"), ("York", "PROPN", "I-LOC")],
        [("He", "PRON", "B-PER"), ("ran", "VERB", "O"), ("Acme", "PROPN", "B-ORG"), (".", "PUNCT", "O")]]
PRED = [[("Anna", "PROPN", "B-PER"), ("Smith", "NOUN", "I-PER"), ("went", "_", "O"), ("to", "ADP", "O"),
         ("New", "PROPN", "B-LOC"), ("York", "PROPN", "O")],
        [("He", "_", "I-PER"), ("ran", "VERB", None), ("Acme", "PROPN", "I-ORG"), (".", "PUNCT", "O")]]


@pytest.fixture()
def files(tmp_path):
    (tmp_path / "g.conllu").write_text(_doc(GOLD), encoding="utf-8")
    (tmp_path / "p.conllu").write_text(_doc(PRED), encoding="utf-8")
    return tmp_path


def test_token_scores(files):
    r = evaluate_tags(files / "g.conllu", files / "p.conllu", "upos")
    # 10 tokens, 8 labelled, 7 of them right
    assert (r["tokens"], r["labelled"], r["correct"]) == (10, 8, 7)
    assert r["accuracy"] == pytest.approx(7 / 8) and r["coverage"] == pytest.approx(0.8)
    assert r["accuracy_all"] == pytest.approx(0.7)
    assert "f1" not in r  # UPOS is not BIO


def test_span_scores_match_seqeval(files):
    from seqeval.metrics import f1_score, precision_score, recall_score

    r = evaluate_tags(files / "g.conllu", files / "p.conllu", "ner")
    g = [[t[2] or "O" for t in s] for s in GOLD]
    p = [[t[2] or "O" for t in s] for s in PRED]
    assert r["precision"] == pytest.approx(precision_score(g, p))
    assert r["recall"] == pytest.approx(recall_score(g, p))
    assert r["f1"] == pytest.approx(f1_score(g, p))
    assert (r["spans_gold"], r["spans_pred"]) == (4, 4)  # stray I-PER / I-ORG start spans, as in seqeval
    assert r["per_type"]["LOC"]["f1"] == 0.0 and r["per_type"]["ORG"]["f1"] == 1.0


def test_cli_json_and_errors(files):
    r = runner.invoke(app, ["eval", "tags", "--gold", str(files / "g.conllu"), "--pred", str(files / "p.conllu"),
                            "--field", "ner"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.output)) >= {"accuracy", "coverage", "accuracy_all", "precision", "recall", "f1"}
    (files / "short.conllu").write_text(_doc([GOLD[0], GOLD[1][:2]]), encoding="utf-8")
    with pytest.raises(InputError, match="4 words in .* but 2"):
        evaluate_tags(files / "g.conllu", files / "short.conllu")
    r = runner.invoke(app, ["eval", "tags", "--gold", str(files / "g.conllu"), "--pred", str(files / "short.conllu")])
    assert r.exit_code != 0 and "sentence 2" in r.output
