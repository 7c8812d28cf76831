import pytest

from xdata.errors import ConfigError
from xdata.langs import base_lang, lang_script, parse_lang, to_nllb


@pytest.mark.parametrize(
    "tag, canon",
    [
        ("sw", "sw"), ("swh_Latn", "sw"), ("swa", "sw"), ("SW-latn", "sw"), ("sr-Cyrl", "sr"),
        ("sr-Latn", "sr-Latn"), ("srp_Latn", "sr-Latn"), ("pa-Arab", "pa-Arab"), ("pan_Guru", "pa"),
        ("zho_Hans", "zh"), ("zh-Hant", "zh-Hant"), ("pes_Arab", "fa"), ("en-US", "en-US"), ("ewe_Latn", "ee"),
        ("zul_Latn", "zu"), ("amh_Ethi", "am"), ("kbd", "kbd"), ("kbd_Cyrl", "kbd-Cyrl"),
    ],
)
def test_parse_lang(tag, canon):
    assert parse_lang(tag) == canon


@pytest.mark.parametrize(
    "tag, nllb",
    [("sw", "swh_Latn"), ("sr", "srp_Cyrl"), ("sr-Latn", "srp_Latn"), ("fa", "pes_Arab"), ("ha", "hau_Latn"),
     ("yo", "yor_Latn"), ("am", "amh_Ethi"), ("pa-Arab", "pan_Arab"), ("en", "eng_Latn"), ("zu", "zul_Latn")],
)
def test_to_nllb_round_trip(tag, nllb):
    assert to_nllb(tag) == nllb
    assert parse_lang(nllb) == tag


def test_script_and_base():
    assert lang_script("sr-Latn") == "Latn"
    assert lang_script("sr") == "Cyrl"
    assert lang_script("hi") == "Deva"
    assert base_lang("pa-Arab") == "pa"


@pytest.mark.parametrize("bad", ["", "english!", "e", "sw Latn", 12])
def test_bad_tags_raise(bad):
    with pytest.raises(ConfigError, match="not a language tag"):
        parse_lang(bad)


def test_unknown_language_without_script_cannot_map_to_nllb():
    with pytest.raises(ConfigError, match="no default script"):
        to_nllb("kbd")
    assert to_nllb("kbd-Cyrl") == "kbd_Cyrl"


@pytest.mark.parametrize("tag, why", [
    ("xyz", "unknown language code 'xyz'"), ("zz", "unknown language code 'zz'"),
    ("sr-Latn-Cyrl", "two script subtags \\(Latn, Cyrl\\)"), ("en-US-GB", "two region subtags"),
])
def test_unknown_codes_and_contradictory_subtags_are_refused(tag, why):
    with pytest.raises(ConfigError, match=why):
        parse_lang(tag)
