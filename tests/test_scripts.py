import pytest

from xdata.normalize.scripts import dominant_script, mixed_tokens, repair_homoglyphs, scripts


@pytest.mark.parametrize("text, script", [
    ("Habari ya asubuhi", "Latn"), ("Здраво свете", "Cyrl"), ("سلام دنیا", "Arab"), ("नमस्ते दुनिया", "Deva"),
    ("ሰላም ለዓለም", "Ethi"), ("Γειά σου", "Grek"), ("สวัสดี", "Thai"), ("שלום", "Hebr"), ("123 !?", None),
])
def test_dominant_script(text, script):
    assert dominant_script(text) == script


def test_combining_marks_and_digits_are_neutral():
    assert scripts("ọ̀la 42") == {"Latn": 3}


def test_mixed_tokens_reported():
    toks = ["Москвa", "city", "नमस्ते", "Xиmik"]
    got = mixed_tokens(toks)
    assert [(m.index, m.scripts) for m in got] == [(0, ("Cyrl", "Latn")), (3, ("Cyrl", "Latn"))]


@pytest.mark.parametrize("token, fixed", [
    ("Москвa", "Москва"),          # Latin a inside Cyrillic
    ("Ηello", "Hello"),            # Greek capital eta inside Latin
    ("cаt", "cat"),                # Cyrillic a inside Latin
    ("Xиmik", "Xиmik"),            # no look-alike for и: a real mixed token is left alone
    ("plain", "plain"),
])
def test_repair_homoglyphs(token, fixed):
    assert repair_homoglyphs(token) == fixed
