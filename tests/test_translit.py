import pytest

from xdata.errors import ConfigError
from xdata.normalize.translit import transliterate

PAIRS = [
    ("Љубав је џентлмен", "Ljubav je džentlmen"),
    ("ЉУБАВ", "LJUBAV"),
    ("Њујорк и Ђорђе Чачак", "Njujork i Đorđe Čačak"),
    ("Шта ћеш, жено?", "Šta ćeš, ženo?"),
    ("123, 4.", "123, 4."),
]


@pytest.mark.parametrize("cyr, lat", PAIRS)
def test_serbian_both_ways_round_trip(cyr, lat):
    assert transliterate(cyr, "sr-Cyrl-Latn") == lat
    assert transliterate(lat, "sr-Latn-Cyrl") == cyr
    assert transliterate(transliterate(cyr, "sr-Cyrl-Latn"), "sr-Latn-Cyrl") == cyr


def test_uroman_romanizes():
    pytest.importorskip("uroman")
    out = transliterate("Здраво", "uroman")
    assert out.lower().startswith("zdravo")


def test_unknown_scheme():
    with pytest.raises(ConfigError, match="unknown transliteration scheme 'xx'"):
        transliterate("a", "xx")
