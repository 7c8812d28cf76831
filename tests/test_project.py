"""Projection functions: token majority vote, spans through crossing/discontinuous links, BIO
well-formedness (property test), sentence labels, the retagger and the pipeline step."""

import json
from collections import Counter
import random
from dataclasses import dataclass

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xdata.errors import ConfigError
from xdata.io.readers import FrameSource
from xdata.pipeline import MapStep, Pipeline, run
from xdata.project import (Project, bio_spans, is_bio, is_bio_labels, project_sentence, project_spans,
                           project_tokens)
from xdata.project.tagger import retag, token_features, type_distributions


# -- token labels -----------------------------------------------------------------------------
def test_majority_over_many_to_one_links():
    # target 0 <- src 0,1,2 (NOUN, NOUN, ADJ): NOUN wins 2:1; target 1 <- src 3; target 2 unaligned
    p = project_tokens(["NOUN", "NOUN", "ADJ", "VERB"], [(0, 0), (1, 0), (2, 0), (3, 1)], 3)
    assert p.labels == ["NOUN", "VERB", None]
    assert p.sources == [[0, 1, 2], [3], []]
    assert p.agreement[0] == pytest.approx(2 / 3)


def test_tie_goes_to_lowest_source_index_and_ignored_labels_do_not_vote():
    assert project_tokens(["ADJ", "NOUN"], [(1, 0), (0, 0)], 1).labels == ["ADJ"]
    assert project_tokens(["_", "NOUN"], [(0, 0), (1, 0)], 1).labels == ["NOUN"]


def test_unaligned_fallback_and_bad_settings():
    p = project_tokens(["NOUN"], [(0, 1)], 3, unaligned="fallback", fallback="X")
    assert p.labels == ["X", "NOUN", "X"]
    with pytest.raises(ConfigError, match="fallback"):
        project_tokens(["NOUN"], [], 1, unaligned="fallback")
    with pytest.raises(ConfigError, match="none' or 'fallback"):
        project_tokens(["NOUN"], [], 1, unaligned="drop")
    with pytest.raises(ConfigError, match="out of range"):
        project_tokens(["NOUN"], [(0, 5)], 2)


def test_sentence_label_is_copied():
    assert project_sentence("sports") == "sports"


# -- spans ------------------------------------------------------------------------------------
def test_span_through_crossing_links():
    # "New York Times" -> "Times de New York": links cross (0->2, 1->3, 2->0)
    src = ["B-ORG", "I-ORG", "I-ORG", "O"]
    bio, kept, dropped = project_spans(src, [(0, 2), (1, 3), (2, 0), (3, 4)], 5)
    assert bio == ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "O"]
    # every source token is aligned; "de" (target 1) sits inside the span unlinked: 1 x 3/4
    assert kept[0].confidence == pytest.approx(0.75)
    assert kept[0].links == [(0, 2), (1, 3), (2, 0)]
    assert not dropped


def test_discontinuous_target_is_closed_and_lowers_confidence():
    # src span 0-1 -> targets 0 and 3 (gap at 1, 2): minimal covering span 0..3, confidence 1 * 2/4
    bio, kept, _ = project_spans(["B-PER", "I-PER", "O"], [(0, 0), (1, 3), (2, 1)], 4)
    assert bio == ["B-PER", "I-PER", "I-PER", "I-PER"]
    assert kept[0].confidence == pytest.approx(0.5)
    # the same with a threshold: the doubtful span is dropped with its reason
    bio, kept, dropped = project_spans(["B-PER", "I-PER", "O"], [(0, 0), (1, 3), (2, 1)], 4, min_confidence=0.6)
    assert bio == ["O"] * 4 and not kept
    assert "below" in dropped[0][1]


def test_partly_aligned_span_and_unaligned_span():
    # src span 0-1 with only token 0 aligned: coverage 1/2; span 3 has no link: dropped
    bio, kept, dropped = project_spans(["B-LOC", "I-LOC", "O", "B-PER"], [(0, 1)], 3)
    assert bio == ["O", "B-LOC", "O"]
    assert kept[0].confidence == pytest.approx(0.5)
    assert dropped[0][1] == "no aligned target token"


def test_overlapping_target_spans_keep_the_more_confident():
    # two source spans land on overlapping targets: PER covers 0..2 with a gap (conf 2/3), LOC is exact
    bio, kept, dropped = project_spans(["B-PER", "I-PER", "O", "B-LOC"], [(0, 0), (1, 2), (3, 1)], 3)
    assert bio == ["O", "B-LOC", "O"]
    assert [k.label for k in kept] == ["LOC"]
    assert "overlaps" in dropped[0][1]


def test_adjacent_spans_of_the_same_type_stay_apart():
    bio, _, _ = project_spans(["B-PER", "B-PER"], [(0, 0), (1, 1)], 2)
    assert bio == ["B-PER", "B-PER"]
    assert [(s.label, s.start, s.end) for s in bio_spans(bio)] == [("PER", 0, 0), ("PER", 1, 1)]


def test_bio_helpers():
    assert is_bio(["B-X", "I-X", "O", "B-Y"]) and not is_bio(["O", "I-X"]) and not is_bio(["B-X", "I-Y"])
    assert is_bio_labels(["O", "B-PER", "_"]) and not is_bio_labels(["NOUN", "B-PER"]) and not is_bio_labels(["O"])
    # lenient reading of ill-formed input: a stray I- starts a span
    assert [(s.label, s.start, s.end) for s in bio_spans(["O", "I-X", "I-X", "I-Y"])] == [("X", 1, 2), ("Y", 3, 3)]


@st.composite
def _bio_case(draw):
    n_src = draw(st.integers(1, 12))
    n_tgt = draw(st.integers(1, 12))
    tags = draw(st.lists(st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG"]),
                         min_size=n_src, max_size=n_src))
    links = draw(st.sets(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)), max_size=30))
    conf = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    return tags, sorted(links), n_tgt, conf


@settings(deadline=None, max_examples=300)
@given(_bio_case())
def test_output_is_always_well_formed_bio(case):
    tags, links, n_tgt, conf = case  # source tags may be ill-formed (stray I-)
    bio, kept, dropped = project_spans(tags, links, n_tgt, min_confidence=conf)
    assert len(bio) == n_tgt and is_bio(bio)
    assert len(kept) + len(dropped) == len(bio_spans(tags))
    assert [(s.label, s.start, s.end) for s in bio_spans(bio)] == [(k.label, k.tgt.start, k.tgt.end) for k in kept]
    assert all(k.confidence >= conf and 0 < k.confidence <= 1 for k in kept)


# -- retagger ---------------------------------------------------------------------------------
def _toy_corpus(n=120, seed=0):
    """Target sentences of a toy language, with gold tags, and noisy partial 'projections'."""
    rng = random.Random(seed)
    lex = {"DET": ["la", "le"], "NOUN": ["gato", "perro", "casa", "libro", "mesa"], "ADJ": ["rojo", "grande"],
           "VERB": ["come", "ve", "tiene"], "PUNCT": ["."]}
    sents, gold, proj = [], [], []
    for _ in range(n):
        tags = ["DET", "NOUN", "ADJ", "VERB", "DET", "NOUN", "PUNCT"]
        words = [rng.choice(lex[t]) for t in tags]
        noisy = []
        for t in tags:
            r = rng.random()
            noisy.append(None if r < 0.25 else ("NOUN" if t == "ADJ" else t) if r < 0.35 else t)
        sents.append(words)
        gold.append(tags)
        proj.append(noisy)
    return sents, gold, proj


def test_retag_fills_gaps_and_fixes_noise():
    sents, gold, proj = _toy_corpus()
    labels, probs = retag(sents, proj)
    n = sum(map(len, gold))
    proj_acc = sum(p == g for P, G in zip(proj, gold) for p, g in zip(P, G)) / n
    acc = sum(p == g for P, G in zip(labels, gold) for p, g in zip(P, G)) / n
    assert proj_acc < 0.75 and acc == 1.0
    assert all(0 < x <= 1 for ps in probs for x in ps)
    d = type_distributions(sents, proj)
    assert d["rojo"].most_common(1)[0][0] == "ADJ"
    # deterministic; a capped training sample (an even stride of sentences) still learns the toy language
    assert retag(sents, proj)[0] == labels
    small = retag(sents, proj, max_train=100)[0]
    assert sum(p == g for P, G in zip(small, gold) for p, g in zip(P, G)) / n > 0.95


def test_retag_without_any_projection_labels_nothing():
    assert retag([["a", "b"]], [[None, None]])[0] == [["", ""]]
    with pytest.raises(ConfigError):
        retag([["a"]], [["X"]], train_on="gold")


def test_type_evidence_counts_weights_when_given():
    sents = [["Casa", "roja"], ["casa", "come"]]
    labs = [["NOUN", "ADJ"], ["NOUN", None]]
    assert type_distributions(sents, labs)["casa"] == {"NOUN": 2}
    d = type_distributions(sents, labs, [[0.5, 1.0], [0.25, 1.0]])
    assert d["casa"] == {"NOUN": 0.75} and "come" not in d


def test_unseen_view_hides_only_the_words_own_type_evidence_and_prev_adds_label_context():
    words, d = ["la", "casa", "roja"], {"la": Counter(DET=3), "casa": Counter(NOUN=2)}
    seen = token_features(words, 1, d)
    assert "t:top=NOUN" in seen and "t:none" not in seen
    hidden = token_features(words, 1, d, unseen=True)
    assert "t:none" in hidden and not any(f.startswith("t:top") or f.startswith("t:has") for f in hidden)
    assert "t-1=DET" in hidden and "w=casa" in hidden  # neighbours' evidence and the word itself stay
    assert set(seen) - set(hidden) == {f for f in seen if f.startswith(("t:top", "t:has"))}
    ctx = token_features(words, 0, d, prev=["DET", "NOUN", "ADJ"])
    assert {"p-1=<s>", "p+1=NOUN", "p-1,p+1=<s>|NOUN"} <= set(ctx)
    assert not any(f.startswith("p") and "=" in f and f[1] in "-+" for f in token_features(words, 0, d))


def test_retag_labels_words_no_projection_reached_like_the_rare_words():
    # Nouns are many rare words ending in -o, each projected once; verbs a few frequent words.
    # The test nouns never get a projected label, so they have no type evidence at all: they
    # are tagged from what the once-labelled nouns taught the "no evidence" case.
    rng = random.Random(1)
    verbs = ["come", "ve", "tiene"]
    sents, proj = [], []
    for k in range(150):
        noun = f"{''.join(rng.choice('bcdfglmnprst') + rng.choice('aeiu') for _ in range(2))}o{k}"
        sents.append(["la", noun, rng.choice(verbs), "."])
        proj.append(["DET", "NOUN", "VERB", "PUNCT"])
    tests = [["la", "zarbo", "come", "."], ["la", "mipo", "ve", "."]]
    sents += tests
    proj += [["DET", None, "VERB", "PUNCT"], ["DET", None, None, "PUNCT"]]
    for rounds in (1, 2):
        labels, _ = retag(sents, proj, rounds=rounds)
        assert labels[-2:] == [["DET", "NOUN", "VERB", "PUNCT"]] * 2
        assert retag(sents, proj, rounds=rounds)[0] == labels  # deterministic
    with pytest.raises(ConfigError, match="rounds"):
        retag(sents, proj, rounds=3)


# -- pipeline step ----------------------------------------------------------------------------
def _pairs(tmp_path):
    df = pl.DataFrame({
        "src_lang": ["en", "en", "en", "en"],
        "src": ["the black cat sleeps", "New York Times", "Ann sleeps", "a b"],
        "tgt_lang": ["fr"] * 4,
        "tgt": ["le chat noir dort", "Times de New York", "Ann dort", "x"],
        "alignment": ["0-0 1-2 2-1 3-3", "0-2 1-3 2-0", "0-0 1-1", "0-5"],
    })
    return FrameSource(df, name="pairs")


SRC_TAGS = {"the black cat sleeps": ["DET", "ADJ", "NOUN", "VERB"], "New York Times": ["B-ORG", "I-ORG", "I-ORG"],
            "Ann sleeps": ["PROPN", "VERB"], "a b": ["X", "Y"]}


@dataclass(frozen=True)
class _NoParams:
    pass


class AttachTags(MapStep):
    """Stands for whatever tags the source side upstream (a tagger, a CoNLL-U join): sources
    keep only their kind's columns, so ``src_tags`` comes from an earlier step."""

    name = "test-attach-tags"
    kinds = ("pair",)
    writes = ("src_tags",)
    Params = _NoParams

    def map(self, batch, ctx):
        return batch.with_columns(pl.Series("src_tags", [SRC_TAGS[s] for s in batch["src"]], pl.List(pl.String)))


def test_project_step_in_a_pipeline(tmp_path):
    m = run(Pipeline("proj", _pairs(tmp_path), [AttachTags(), Project()]), tmp_path / "out", workers=1)
    rows = pl.read_parquet(tmp_path / "out" / "data")
    assert m["rows"] == 3 and rows["lang"].to_list() == ["fr"] * 3
    assert rows["tokens"][0].to_list() == ["le", "chat", "noir", "dort"]
    assert rows["tags"][0].to_list() == ["DET", "NOUN", "ADJ", "VERB"]
    assert rows["tags"][1].to_list() == ["B-ORG", "I-ORG", "I-ORG", "I-ORG"]
    meta = [json.loads(x)["project"] for x in rows["meta"]]
    assert meta[0]["from"] == [[0], [2], [1], [3]] and meta[0]["mode"] == "token"
    assert meta[1]["spans"][0]["links"] == [[0, 2], [1, 3], [2, 0]]
    rej = pl.read_parquet(tmp_path / "out" / "rejects")
    assert rej.height == 1 and "out of range" in rej["reason"][0]


def test_project_step_rejects_bad_params():
    with pytest.raises(ConfigError, match="mode"):
        Project(mode="words")
    with pytest.raises(ConfigError, match="fallback"):
        Project(unaligned="fallback")


def test_a_projection_version_changes_with_the_aligner_and_retagger_revisions(tmp_path, monkeypatch):
    # datasets made by corpus-level alignment carry the aligners' revision in their fingerprint:
    # an aligner that now gives other links for the same input gives them a new version id
    import xdata.project.source as ps
    from xdata.dataset.writer import planned_version

    src, tgt = tmp_path / "en.conllu", tmp_path / "de.conllu"
    src.write_text("# sent_id = 1\n1\tThe\tthe\tDET\t_\t_\t_\t_\t_\t_\n2\tdog\tdog\tNOUN\t_\t_\t_\t_\t_\t_\n\n",
                   encoding="utf-8")
    tgt.write_text("# sent_id = 1\n1\tDer\tder\t_\t_\t_\t_\t_\t_\t_\n2\tHund\thund\t_\t_\t_\t_\t_\t_\t_\n\n",
                   encoding="utf-8")

    def version() -> str:
        source = ps.ProjectionSource(src, tgt, src_lang="en", tgt_lang="de")
        return planned_version(Pipeline("p", source, []), kind=source.kind, seed=0, recipe=None, block_rows=50_000)

    before = version()
    assert version() == before
    monkeypatch.setattr(ps, "ALIGNER_REVISION", ps.ALIGNER_REVISION + 1)
    aligner = version()
    assert aligner != before
    monkeypatch.setattr(ps, "RETAG_REVISION", ps.RETAG_REVISION + 1)  # the retagger's likewise
    assert version() not in (before, aligner)
