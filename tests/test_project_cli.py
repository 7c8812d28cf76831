"""`xdata project` round trips on small CoNLL-U files written here (built-in aligner: always there)."""

import random

import pytest
from typer.testing import CliRunner

from xdata.cli import app
from xdata.io.readers import conllu_words, read_conllu_sentences

runner = CliRunner()

# A toy pair: en -> "xx" (adjectives follow nouns, so links cross), with names for NER.
LEX = {
    "DET": {"the": "le", "a": "un"},
    "ADJ": {"black": "noir", "big": "grand", "old": "vieux"},
    "NOUN": {"cat": "chat", "dog": "chien", "house": "maison", "book": "livre"},
    "VERB": {"sees": "voit", "likes": "aime", "has": "tient"},
    "PROPN": {"Paris": "Paris", "Anna": "Anna", "Berlin": "Berlin"},
}
NER = {"Paris": "LOC", "Berlin": "LOC", "Anna": "PER"}


def _row(i, form, upos, ner):
    misc = f"NER={ner}" if ner else "_"
    return f"{i}\t{form}\t{form.lower()}\t{upos}\t_\t_\t0\tdep\t_\t{misc}"


def _corpus(n=80, seed=1):
    rng = random.Random(seed)
    en, xx = [], []
    for k in range(n):
        det, adj, noun, verb = (rng.choice(list(LEX[t].items())) for t in ("DET", "ADJ", "NOUN", "VERB"))
        name = rng.choice(list(LEX["PROPN"].items()))
        # en: DET ADJ NOUN VERB PROPN .    xx: DET NOUN ADJ VERB PROPN .
        e = [(det[0], "DET"), (adj[0], "ADJ"), (noun[0], "NOUN"), (verb[0], "VERB"), (name[0], "PROPN"), (".", "PUNCT")]
        x = [(det[1], "DET"), (noun[1], "NOUN"), (adj[1], "ADJ"), (verb[1], "VERB"), (name[1], "PROPN"), (".", "PUNCT")]
        for sents, toks in ((en, e), (xx, x)):
            lines = [f"# sent_id = s{k}", "# text = " + " ".join(w for w, _ in toks)]
            for i, (w, t) in enumerate(toks, 1):
                ner = ("B-" + NER[w]) if w in NER else "O"
                lines.append(_row(i, w, t, ner))
            sents.append("\n".join(lines) + "\n\n")
    return "".join(en), "".join(xx)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("proj")
    en, xx = _corpus()
    (d / "en.conllu").write_text(en, encoding="utf-8")
    (d / "xx.conllu").write_text(xx, encoding="utf-8")
    return d


def _sents(path):
    return [s for _, s in read_conllu_sentences(path)]


def _proj(files, out, *extra):
    r = runner.invoke(app, ["project", "--src", str(files / "en.conllu"), "--tgt", str(files / "xx.conllu"),
                            "--method", "builtin", "--out", str(out), "--overwrite", *extra])
    assert r.exit_code == 0, r.output
    return r


def test_upos_round_trip_keeps_the_target_and_records_sources(files, tmp_path):
    out = tmp_path / "o.conllu"
    r = _proj(files, out, "--field", "upos")
    assert "projected upos" in r.output
    gold, pred = _sents(files / "xx.conllu"), _sents(out)
    assert len(pred) == len(gold)
    for g, p in zip(gold, pred):
        assert p.metadata == g.metadata
        for a, b in zip(conllu_words(g), conllu_words(p)):
            for col in ("id", "form", "lemma", "xpos", "head", "deprel"):
                assert a[col] == b[col]
            assert b["misc"]["NER"] == a["misc"]["NER"]  # other fields untouched
            assert "ProjBy" in b["misc"]
    # the crossing adjective/noun links are followed: 'chat' (target 2) comes from 'cat' (source 3)
    crossed = [(conllu_words(p)[1]["misc"].get("ProjFrom"), conllu_words(p)[2]["misc"].get("ProjFrom")) for p in pred]
    assert sum(c == ("3", "2") for c in crossed) >= 0.9 * len(pred)
    r = runner.invoke(app, ["eval", "tags", "--gold", str(files / "xx.conllu"), "--pred", str(out), "--field", "upos"])
    assert r.exit_code == 0, r.output
    import json

    res = json.loads(r.output)
    assert res["coverage"] == 1.0 and res["accuracy_all"] >= 0.95


def test_gold_is_cleared_or_moved_aside(files, tmp_path):
    out = tmp_path / "o.conllu"
    _proj(files, out, "--field", "upos", "--no-retag", "--gold", "misc")
    for g, p in zip(_sents(files / "xx.conllu"), _sents(out)):
        for a, b in zip(conllu_words(g), conllu_words(p)):
            assert b["misc"]["GoldUpos"] == a["upos"]
    # without retagging, an unaligned target token keeps '_' (a sentence with an extra target word)
    src = tmp_path / "s.conllu"
    tgt = tmp_path / "t.conllu"
    src.write_text("# sent_id = a\n" + _row(1, "cat", "NOUN", "O") + "\n\n", encoding="utf-8")
    tgt.write_text("# sent_id = a\n" + _row(1, "chat", "NOUN", "O") + "\n" + _row(2, "zut", "INTJ", "O") + "\n\n",
                   encoding="utf-8")
    r = runner.invoke(app, ["project", "--src", str(src), "--tgt", str(tgt), "--field", "upos", "--method", "builtin",
                            "--sym", "intersection", "--no-retag", "--out", str(out), "--overwrite"])
    assert r.exit_code == 0, r.output
    w = conllu_words(_sents(out)[0])
    assert [x["upos"] for x in w] == ["NOUN", "_"]
    assert w[0]["misc"]["ProjFrom"] == "1"


def test_ner_spans_round_trip(files, tmp_path):
    out = tmp_path / "ner.conllu"
    r = _proj(files, out, "--field", "ner")
    assert "(span," in r.output
    for g, p in zip(_sents(files / "xx.conllu"), _sents(out)):
        assert [x["upos"] for x in conllu_words(p)] == [x["upos"] for x in conllu_words(g)]  # only NER changes
    r = runner.invoke(app, ["eval", "tags", "--gold", str(files / "xx.conllu"), "--pred", str(out), "--field", "ner"])
    import json

    res = json.loads(r.output)
    assert res["f1"] >= 0.95 and set(res["per_type"]) == {"LOC", "PER"}


def test_sentence_label_copy(tmp_path):
    src = tmp_path / "s.conllu"
    tgt = tmp_path / "t.conllu"
    src.write_text("# sent_id = a\n# topic = sports\n" + _row(1, "cat", "NOUN", "O") + "\n\n", encoding="utf-8")
    tgt.write_text("# sent_id = a\n" + _row(1, "chat", "NOUN", "O") + "\n\n", encoding="utf-8")
    out = tmp_path / "o.conllu"
    r = runner.invoke(app, ["project", "--src", str(src), "--tgt", str(tgt), "--field", "meta:topic", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert _sents(out)[0].metadata["topic"] == "sports"


def test_clear_errors(files, tmp_path):
    en = (files / "en.conllu").read_text(encoding="utf-8")
    bad = tmp_path / "bad.conllu"
    bad.write_text(en.replace("# sent_id = s3\n", "# sent_id = zz\n"), encoding="utf-8")
    r = runner.invoke(app, ["project", "--src", str(files / "en.conllu"), "--tgt", str(bad), "--field", "upos",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "sent_id 'zz' does not match 's3'" in r.output and "line" in r.output
    short = tmp_path / "short.conllu"
    short.write_text(en.split("\n\n")[0] + "\n\n", encoding="utf-8")
    r = runner.invoke(app, ["project", "--src", str(files / "en.conllu"), "--tgt", str(short), "--field", "upos",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "80 sentences but" in r.output
    r = runner.invoke(app, ["project", "--src", str(files / "en.conllu"), "--tgt", str(files / "xx.conllu"),
                            "--field", "lemma2", "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "misc:KEY" in r.output
    r = runner.invoke(app, ["project", "--help"])
    assert r.exit_code == 0 and "--field" in r.output


def test_lexicon_priors(files, tmp_path):
    from xdata.project.conllu import lexicon_pairs

    lex = tmp_path / "en-xx.txt"
    lex.write_text("cat chat\ndog chien\nParis Paris\nzebra zèbre\nblack noir\n", encoding="utf-8")
    xs, xt = lexicon_pairs(lex, [["the", "cat"], ["black", "dog"]], [["le", "chat"], ["chien", "noir"]])
    # entries outside the corpus and identical pairs are left out
    assert list(zip(xs, xt)) == [(["cat"], ["chat"]), (["dog"], ["chien"]), (["black"], ["noir"])]
    r = _proj(files, tmp_path / "o.conllu", "--field", "upos", "--lexicon", str(lex))
    assert "+lexicon" in r.output


def test_span_misc_records_sources_through_crossing_links(tmp_path):
    src, tgt, out = tmp_path / "s.conllu", tmp_path / "t.conllu", tmp_path / "o.conllu"
    # "the New York Times wrote" -> "le Times de New York écrivit", links given (they cross)
    en = [("the", "O"), ("New", "B-ORG"), ("York", "I-ORG"), ("Times", "I-ORG"), ("wrote", "O")]
    xx = [("le", "O"), ("Times", "O"), ("de", "O"), ("New", "O"), ("York", "O"), ("écrivit", "O")]
    def doc(rows):
        return "\n".join(_row(i, w, "X", t) for i, (w, t) in enumerate(rows, 1)) + "\n\n"
    src.write_text(doc(en), encoding="utf-8")
    tgt.write_text(doc(xx), encoding="utf-8")
    (tmp_path / "links").write_text("0-0 1-3 2-4 3-1 4-5\n", encoding="utf-8")
    r = runner.invoke(app, ["project", "--src", str(src), "--tgt", str(tgt), "--field", "ner", "--alignment",
                            str(tmp_path / "links"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    w = conllu_words(_sents(out)[0])
    assert [x["misc"]["NER"] for x in w] == ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O"]
    assert [x["misc"].get("ProjFrom") for x in w[1:5]] == ["4", None, "2", "3"]  # 'de' is a closed gap
    assert {x["misc"]["ProjSpan"] for x in w[1:5]} == {"2-4"} and w[1]["misc"]["ProjConf"] == "0.75"
    (tmp_path / "links").write_text("0-9\n", encoding="utf-8")
    r = runner.invoke(app, ["project", "--src", str(src), "--tgt", str(tgt), "--field", "ner", "--alignment",
                            str(tmp_path / "links"), "--out", str(out), "--overwrite"])
    assert r.exit_code != 0 and "out of range" in r.output
