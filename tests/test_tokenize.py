import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xdata.tokenize import word_tokenize, word_tokenize_with_offsets


@pytest.mark.parametrize("text, tokens", [
    ("Hello, world! It's 3.14.", ["Hello", ",", "world", "!", "It's", "3.14", "."]),
    ("Ng'ombe wanakula nyasi.", ["Ng'ombe", "wanakula", "nyasi", "."]),
    ("See https://example.org/a?b=1, ok", ["See", "https://example.org/a?b=1", ",", "ok"]),
    ("سلام، دنیا؟", ["سلام", "،", "دنیا", "؟"]),
    ("می\u200cخواهم", ["می\u200cخواهم"]),
    ("नमस्ते दुनिया।", ["नमस्ते", "दुनिया", "।"]),
    ("ሰላም። እንዴት", ["ሰላም", "።", "እንዴት"]),
    ("我爱你", ["我", "爱", "你"]),
    ("สวัสดี", ["ส", "วั", "ส", "ดี"]),
    ("Ọjọ́ 12:30", ["Ọjọ́", "12:30"]),
])
def test_table(text, tokens):
    assert word_tokenize(text) == tokens


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_offsets_are_exact_and_cover_all_non_space(text):
    toks = word_tokenize_with_offsets(text)
    assert all(text[a:b] == t for t, a, b in toks)
    assert all(b1 <= a2 for (_, _, b1), (_, a2, _) in zip(toks, toks[1:]))
    inside = set()
    for _, a, b in toks:
        inside.update(range(a, b))
    import regex

    assert all(i in inside for i, ch in enumerate(text) if not regex.match(r"\s", ch))  # nothing is dropped
