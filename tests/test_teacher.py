"""Teachers: soft labels, subword pooling, calibration, thresholds, determinism, the built-in tagger."""

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import TOY_TC_LABELS
from teacher_callables import LABELS, gold_label, overconfident
from typer.testing import CliRunner

from xdata.cli import app
from xdata.errors import ConfigError, InputError
from xdata.io.readers import FrameSource
from xdata.models import model_digest
from xdata.pipeline import Pipeline, run
from xdata.project import evaluate_tags
from xdata.teacher import CallableTeacher, Teach, load_teacher, log_softmax, pool_subwords, soft_labels
from xdata.teacher.calibration import calibration_report, ece, fit_temperature
from xdata.teacher.conllu import calibrate_conllu, label_conllu, read_conllu_tags, train_tagger_conllu

PUD_EN = Path(__file__).resolve().parents[2] / "shared" / "data" / "pud" / "en_pud-ud-test.conllu"
runner = CliRunner()


# -- pooling ------------------------------------------------------------------------------------
def test_pooling_by_hand():
    # subwords: [CLS] play ##ing cat [SEP]; words: playing, cat
    logits = np.array([[9.0, 9.0], [2.0, 0.0], [0.0, 2.0], [1.0, 3.0], [9.0, 9.0]])
    wids = [None, 0, 0, 1, None]
    first = pool_subwords(logits, wids, 2, "first")
    assert np.allclose(np.exp(first[0]), [1 / (1 + math.exp(-2)), 1 / (1 + math.exp(2))])
    mean = pool_subwords(logits, wids, 2, "mean")
    # the two subwords' log-probabilities mirror each other: their mean is symmetric -> uniform
    assert np.allclose(np.exp(mean[0]), [0.5, 0.5])
    assert np.allclose(mean[1], first[1])  # one subword: both poolings agree
    # a word with no subword (cut by the length limit) is uniform
    assert np.allclose(np.exp(pool_subwords(logits, wids, 3, "first")[2]), [0.5, 0.5])
    with pytest.raises(ConfigError):
        pool_subwords(logits, wids, 2, "max")


# -- the transformers teacher -------------------------------------------------------------------
def test_hf_teacher_subword_splits_and_pooling(toy_token_classifier):
    import torch

    t = load_teacher(str(toy_token_classifier))
    assert t.kind == "hf-token" and t.labels == TOY_TC_LABELS
    assert t.digest == model_digest(toy_token_classifier)
    words = ["The", "cats", "playing", "players", "."]
    ids, wids = t.encode([words])
    pieces = t.tokenizer.convert_ids_to_tokens(ids[0])
    assert pieces == ["[CLS]", "the", "cat", "##s", "play", "##ing", "play", "##er", "##s", ".", "[SEP]"]
    assert wids[0] == [None, 0, 1, 1, 2, 2, 3, 3, 3, 4, None]
    with torch.inference_mode():
        raw = t.model(input_ids=torch.tensor(ids)).logits[0].numpy().astype(np.float64)
    lp = raw - np.log(np.exp(raw).sum(axis=1, keepdims=True))
    first = t.logprobs([words])[0]
    assert np.allclose(first[3], lp[6], atol=1e-5)  # "players" = its first subword, "play"
    tm = load_teacher(str(toy_token_classifier), pooling="mean")
    mean = tm.logprobs([words])[0]
    want = lp[6:9].mean(axis=0)
    assert np.allclose(mean[3], want - np.log(np.exp(want).sum()), atol=1e-5)
    for a in (first, mean):  # soft labels sum to 1 per word
        assert a.shape == (5, len(TOY_TC_LABELS)) and np.allclose(np.exp(a).sum(axis=1), 1.0)
    # batching with other sentences (padding, buckets) leaves a sentence's distributions alone
    others = [["a", "dog"], ["the", "big", "cat", "see", "##s", "the", "dog", "running"], []]
    together = t.logprobs(others + [words])
    assert together[2].shape == (0, 5) and np.allclose(together[3], first, atol=1e-5)


# -- the callable teacher and soft labels -------------------------------------------------------
def test_callable_teacher_validates_and_soft_labels_sum_to_one():
    t = CallableTeacher(overconfident, LABELS)
    lp = t.logprobs([["x", "y", "z"]])[0]
    p, best, tops, ents = soft_labels(lp, 1.0, top_k=2)
    assert np.allclose(p.sum(axis=1), 1.0) and len(tops[0]) == 2 and tops[0][0][1] >= tops[0][1][1]
    assert [LABELS[b] for b in best] == [LABELS[top[0][0]] for top in tops]
    assert all(0 < e < math.log(4) for e in ents)
    # a higher temperature flattens: more entropy, lower top probability
    _, _, tops2, ents2 = soft_labels(lp, 3.0, top_k=2)
    assert all(e2 > e for e, e2 in zip(ents, ents2)) and tops2[0][0][1] < tops[0][0][1]
    with pytest.raises(InputError, match="summing to 1"):
        load_teacher("py:teacher_callables:unnormalised").logprobs([["a"]])
    with pytest.raises(InputError, match="shape"):
        CallableTeacher(lambda s: [np.ones((1, 2)) / 2], LABELS).logprobs([["a", "b"]])
    with pytest.raises(ConfigError, match="no 'labels'"):
        load_teacher("py:teacher_callables:gold_label")


# -- calibration --------------------------------------------------------------------------------
def test_fit_temperature_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, size=(4000, 5))
    gold = np.array([rng.choice(5, p=np.exp(row)) for row in log_softmax(logits)])
    # the labels were drawn from softmax(logits): scaled by 3 the teacher is over-confident by T=3
    t = fit_temperature(logits * 3, gold)
    assert 2.7 < t < 3.3
    rep = calibration_report(logits * 3, gold, list("abcde"), t)
    assert rep["after"]["ece"] < rep["before"]["ece"] / 2
    assert rep["after"]["accuracy"] == rep["before"]["accuracy"]  # temperature keeps the argmax
    assert ece([], []) == 0.0 and ece([0.9, 0.9], [True, False]) == pytest.approx(0.4)


def _conllu(sents, tags):
    lines = []
    for k, (ws, ts) in enumerate(zip(sents, tags)):
        lines.append(f"# sent_id = s{k}")
        lines += [f"{i}\t{w}\t_\t{t}\t_\t_\t0\tdep\t_\t_" for i, (w, t) in enumerate(zip(ws, ts), 1)]
        lines.append("")
    return "\n".join(lines) + "\n"


def _synthetic(n, seed):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(3000)]
    sents = [[vocab[j] for j in rng.integers(0, 3000, rng.integers(3, 9))] for _ in range(n)]
    return sents, [[gold_label(w) for w in s] for s in sents]


def test_calibration_lowers_ece_of_an_overconfident_teacher(tmp_path):
    dev, test = tmp_path / "dev.conllu", tmp_path / "test.conllu"
    dev.write_text(_conllu(*_synthetic(150, 1)), encoding="utf-8")
    test.write_text(_conllu(*_synthetic(150, 2)), encoding="utf-8")
    teacher = load_teacher("py:teacher_callables:overconfident")
    rep = calibrate_conllu(teacher, dev)
    assert 2.0 < rep["temperature"] < 4.5  # over-confident by a temperature of 3
    assert rep["before"]["ece"] > 0.15 and rep["after"]["ece"] < 0.05
    assert set(rep["per_label"]) == set(LABELS)
    # on held-out data, through the labelled file and eval tags
    for t, name in ((1.0, "raw"), (rep["temperature"], "cal")):
        label_conllu(teacher, test, tmp_path / f"{name}.conllu", temperature=t)
    raw = evaluate_tags(test, tmp_path / "raw.conllu")
    cal = evaluate_tags(test, tmp_path / "cal.conllu", reliability=tmp_path / "rel.png")
    assert raw["calibration"]["ece"] > 0.15 and cal["calibration"]["ece"] < 0.06
    assert raw["accuracy"] == cal["accuracy"] and 0.6 < raw["accuracy"] < 0.8
    assert (tmp_path / "rel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(raw["per_label"]) == set(LABELS)
    with pytest.raises(ConfigError, match="TagProb"):
        evaluate_tags(test, test, reliability=tmp_path / "none.png")
    r = runner.invoke(app, ["eval", "tags", "--gold", str(test), "--pred", str(tmp_path / "cal.conllu"),
                            "--reliability", str(tmp_path / "rel2.png")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["calibration"]["ece"] == pytest.approx(cal["calibration"]["ece"])
    r = runner.invoke(app, ["teacher", "calibrate", "--teacher", "py:teacher_callables:overconfident",
                            "--dev", str(dev)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["temperature"] == rep["temperature"]


# -- the step: thresholds, rejects, determinism -------------------------------------------------
def _tagged(sents):
    return FrameSource(pl.DataFrame({"lang": ["en"] * len(sents), "tokens": sents,
                                     "tags": [["_"] * len(s) for s in sents]}), name="tagged")


def test_teach_step_thresholds_reject_with_reasons(tmp_path):
    sents, _ = _synthetic(40, 3)
    teach = Teach(teacher="py:teacher_callables:overconfident", temperature=3.0, top_k=2, min_prob=0.6,
                  reject_label="_", min_score=0.7)
    m = run(Pipeline("teach", _tagged(sents), [teach]), tmp_path / "out", workers=1)
    rows = pl.read_parquet(tmp_path / "out" / "data")
    rej = pl.read_parquet(tmp_path / "out" / "rejects")
    assert m["rows"] == rows.height and rows.height + rej.height == 40 and rej.height > 0 and rows.height > 0
    for tags, meta in zip(rows["tags"].to_list(), rows["meta"].to_list()):
        rec = json.loads(meta)["teach"]
        assert rec["score"] >= 0.7 and rec["temperature"] == 3.0
        for i, (tag, top) in enumerate(zip(tags, rec["top"])):
            assert len(top) == 2 and top[0][1] >= top[1][1]
            assert (tag == "_") == (top[0][1] < 0.6) == (i in rec["relabelled"])
            assert tag == "_" or tag == top[0][0]
        assert rec["score"] == pytest.approx(np.mean([top[0][1] for top in rec["top"]]), abs=1e-6)
    assert any(json.loads(x)["teach"]["relabelled"] for x in rows["meta"])  # the token threshold did bite
    for reason in rej["reason"].to_list():
        score = float(reason.split()[2])
        assert reason.startswith("teacher score ") and score < 0.7 and "below 0.7 " in reason
    # the temperature is a parameter: it changes the step's signature (the version fingerprint)
    assert Teach(teacher="py:teacher_callables:overconfident", temperature=2.0).signature() != \
        Teach(teacher="py:teacher_callables:overconfident", temperature=1.0).signature()
    with pytest.raises(ConfigError):
        Teach(teacher="py:teacher_callables:overconfident", score="median")
    with pytest.raises(ConfigError):
        Teach(teacher="")


def test_teach_same_bytes_across_batch_sizes_and_workers(tmp_path, toy_token_classifier):
    rng = np.random.default_rng(5)
    words = ["the", "a", "cat", "dog", "cats", "playing", "runner", "seed", "big", ".", "zebra"]
    sents = [[words[j] for j in rng.integers(0, len(words), rng.integers(1, 12))] for _ in range(30)]
    outs = []
    for k, (bs, workers) in enumerate(((2, 1), (50, 1), (3, 2))):
        teach = Teach(teacher=str(toy_token_classifier), pooling="mean", top_k=3, min_score=0.3, max_tokens=64)
        m = run(Pipeline("teach", _tagged(sents), [teach]), tmp_path / f"o{k}", workers=workers, batch_size=bs,
                block_rows=8)
        rows = pl.read_parquet(tmp_path / f"o{k}" / "data")
        outs.append((m["content_digest"], rows["tags"].to_list(), rows["meta"].to_list()))
        assert m["steps"][0]["resources"]["teacher"] == model_digest(toy_token_classifier)
    assert outs[0] == outs[1] == outs[2]
    rec = json.loads(outs[0][2][0])["teach"]
    assert len(rec["top"][0]) == 3 and all(sum(p for _, p in top) <= 1 + 1e-6 for top in rec["top"])


# -- the built-in tagger as a teacher -----------------------------------------------------------
@pytest.mark.skipif(not PUD_EN.exists(), reason="PUD English not available")
def test_builtin_tagger_teacher_on_pud_english(tmp_path):
    t = train_tagger_conllu(PUD_EN, tmp_path / "tagger", sentences=slice(0, 300))
    back = load_teacher(str(tmp_path / "tagger"))
    assert back.kind == "tagger" and back.labels == t.labels and back.digest == t.digest
    rep = calibrate_conllu(back, PUD_EN, sentences=slice(300, 450))
    assert rep["before"]["accuracy"] > 0.8  # UPOS on unseen PUD sentences, 300 training sentences
    assert rep["after"]["ece"] < rep["before"]["ece"]
    sents = [["The", "law", "was", "passed", "."], ["A", "new", "law", "was", "passed", "in", "2017", "."]]
    forms = read_conllu_tags(PUD_EN)[0][300:450]
    lp_a, lp_b = t.logprobs(forms + sents), back.logprobs(forms + sents)
    assert all(np.array_equal(a, b) for a, b in zip(lp_a, lp_b))  # saved and loaded: the same teacher
    lp_b = lp_b[len(forms):]
    assert np.allclose(np.exp(lp_b[1]).sum(axis=1), 1.0)
    tags = [t.labels[j] for j in lp_b[0].argmax(axis=1)]
    assert tags == ["DET", "NOUN", "AUX", "VERB", "PUNCT"]
    r = runner.invoke(app, ["teacher", "train", "--conllu", str(PUD_EN), "--out", str(tmp_path / "cli"),
                            "--sentences", "0:300"])
    assert r.exit_code == 0, r.output
    assert load_teacher(str(tmp_path / "cli")).digest == t.digest  # same data, same weights: same digest


def test_span_confidence_is_the_least_sure_token_of_each_bio_span():
    from xdata.teacher import span_confidences

    assert span_confidences(["B-PER", "I-PER", "O", "B-LOC", "_"], [0.9, 0.6, 0.99, 0.8, None]) == \
        [["PER", 0, 1, 0.6], ["LOC", 3, 3, 0.8]]
    assert span_confidences(["NOUN", "VERB"], [0.9, 0.8]) is None  # not BIO: no spans


def test_soft_labels_and_spans_survive_code_switching(tmp_path):
    from xdata.codeswitch.step import CodeSwitch

    lex = tmp_path / "en-sw.tsv"
    lex.write_text("water\tmaji\nhouse\tnyumba\nnear\tkaribu\n", encoding="utf-8")
    sents = [["Amina", "Juma", "drinks", "water", "near", "the", "house"], ["Jo", "sees", "the", "water"]]
    src = FrameSource([{"lang": "en", "tokens": s, "tags": ["O"] * len(s)} for s in sents])
    steps = [Teach(teacher="py:teacher_callables:names", top_k=2), CodeSwitch(lexicons=(str(lex),), ratio=1.0)]
    run(Pipeline("t", src, steps), tmp_path / "out", workers=1)
    rows = pl.read_parquet(tmp_path / "out" / "data")
    assert rows["tokens"].to_list()[0] == ["Amina", "Juma", "drinks", "maji", "karibu", "the", "nyumba"]
    for toks, tags, meta in zip(rows["tokens"].to_list(), rows["tags"].to_list(), rows["meta"].to_list()):
        rec = json.loads(meta)["teach"]
        assert len(rec["top"]) == len(toks) == len(tags)  # one word in, one word out: still aligned
        assert [t[0][0] for t in rec["top"]] == tags
    first = json.loads(rows["meta"][0])["teach"]
    assert first["spans"] == [["PER", 0, 1, 0.7]]  # "Amina" 0.75, "Juma" 0.7: the span is as sure as "Juma"


def test_sequence_classification_teacher_labels_text_rows(tmp_path, toy_sequence_classifier):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xdata.teacher.hf import HFSequenceTeacher

    t = load_teacher(str(toy_sequence_classifier))
    assert isinstance(t, HFSequenceTeacher) and t.labels == ["animals", "sport", "other"]
    texts = ["the cat sees a dog .", "a big dog", "the dog plays", "run"]
    lp = t.sequence_logprobs(texts)
    assert lp.shape == (4, 3) and np.allclose(np.exp(lp).sum(axis=1), 1.0)
    # the same numbers as the model itself gives each text alone (batching and padding change nothing)
    tok = AutoTokenizer.from_pretrained(toy_sequence_classifier)
    model = AutoModelForSequenceClassification.from_pretrained(toy_sequence_classifier).eval()
    import torch

    with torch.inference_mode():
        for k, text in enumerate(texts):
            want = torch.log_softmax(model(**tok(text, return_tensors="pt")).logits[0], -1).numpy()
            assert np.allclose(lp[k], want, atol=1e-5)
    with pytest.raises(ConfigError, match="labels texts"):
        t.logprobs([["the", "cat"]])

    src = FrameSource([{"lang": "en", "text": x} for x in texts])
    best = np.exp(lp).max(axis=1)
    cut = float(np.sort(best)[1])  # the second least sure text: one row below it
    for batch in (1, 100):
        out = tmp_path / f"out{batch}"
        m = run(Pipeline("t", src, [Teach(teacher=str(toy_sequence_classifier), top_k=3, min_score=cut)]), out,
                workers=1, batch_size=batch)
        rows = pl.read_parquet(out / "data")
        assert m["rows"] == 3 and m["rejected_rows"] == 1
        for text, label, meta in zip(rows["text"].to_list(), rows["teacher_label"].to_list(), rows["meta"].to_list()):
            rec = json.loads(meta)["teach"]
            k = texts.index(text)
            assert label == t.labels[int(lp[k].argmax())] == rec["top"][0][0]
            assert abs(sum(q for _, q in rec["top"]) - 1.0) < 1e-5
    assert json.loads((tmp_path / "out1/manifest.json").read_text())["content_digest"] == \
        json.loads((tmp_path / "out100/manifest.json").read_text())["content_digest"]


def test_calibration_reports_per_language_with_one_temperature(tmp_path):
    from typer.testing import CliRunner

    from xdata.cli import app

    sents, tags = _synthetic(120, 4)
    halves = [(sents[:60], tags[:60]), (sents[60:], tags[60:])]
    files = []
    for k, (ss, ts) in enumerate(halves):
        f = tmp_path / f"dev{k}.conllu"
        f.write_text("".join("".join(f"{i}\t{w}\t_\t{t}\t_\t_\t_\t_\t_\t_\n" for i, (w, t) in enumerate(zip(s, tt), 1))
                             + "\n" for s, tt in zip(ss, ts)), encoding="utf-8")
        files.append(f)
    r = CliRunner().invoke(app, ["teacher", "calibrate", "--teacher", "py:teacher_callables:overconfident",
                                 "--dev", f"xx={files[0]}", "--dev", f"yy={files[1]}"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert set(rep["per_language"]) == {"xx", "yy"}
    assert sum(v["tokens"] for v in rep["per_language"].values()) == rep["tokens"]
    for v in rep["per_language"].values():  # one temperature for both, and it helps each language
        assert v["after"]["ece"] < v["before"]["ece"]
    assert 2.0 < rep["temperature"] < 4.5


def test_a_sequence_teacher_is_calibrated_on_sentence_labels(tmp_path, toy_sequence_classifier):
    from xdata.teacher.conllu import calibrate_conllu

    t = load_teacher(str(toy_sequence_classifier))
    texts = ["the cat sees a dog .", "a big dog", "the dog plays", "run", "the big cat runs", "see the dog ."] * 5
    lp = t.sequence_logprobs(texts)
    # gold: the teacher's own argmax for 2 of 3 texts, another label for the rest -> an over-confident teacher
    gold = [t.labels[int(r.argmax())] if k % 3 else t.labels[(int(r.argmax()) + 1) % 3] for k, r in enumerate(lp)]
    f = tmp_path / "dev.conllu"
    f.write_text("".join(f"# text = {x}\n# topic = {g}\n1\t{x.split()[0]}\t_\t_\t_\t_\t_\t_\t_\t_\n\n"
                         for x, g in zip(texts, gold)), encoding="utf-8")
    rep = calibrate_conllu(t, f, field="meta:topic")
    assert rep["tokens"] == len(texts)
    assert rep["before"]["accuracy"] == pytest.approx(20 / 30)
    assert rep["after"]["nll"] <= rep["before"]["nll"]
    with pytest.raises(ConfigError, match="needs a sequence-classification teacher"):
        calibrate_conllu(load_teacher("py:teacher_callables:overconfident"), f, field="meta:topic")
