"""Language tags: BCP-47 (with a script subtag where it matters) and NLLB-style codes.

xdata speaks BCP-47 internally (``sw``, ``sr-Cyrl``, ``pa-Arab``) and accepts and emits
NLLB/FLORES codes (``swh_Latn``) through one mapping, :func:`to_nllb` / :func:`parse_lang`.
A script subtag is kept only where it is not the language's default script, so ``sr-Latn``
stays while ``sw-Latn`` becomes ``sw``.
"""

from __future__ import annotations

import functools
import re

from .errors import ConfigError

# ISO 639-1/3 tag -> (NLLB three-letter code, default ISO 15924 script).
# NLLB uses individual-language codes where BCP-47 prefers the macrolanguage (sw -> swh).
_LANGS: dict[str, tuple[str, str]] = {
    "af": ("afr", "Latn"), "am": ("amh", "Ethi"), "ar": ("arb", "Arab"), "as": ("asm", "Beng"),
    "ast": ("ast", "Latn"), "az": ("azj", "Latn"), "ba": ("bak", "Cyrl"), "be": ("bel", "Cyrl"),
    "bem": ("bem", "Latn"), "bg": ("bul", "Cyrl"), "bm": ("bam", "Latn"), "bn": ("ben", "Beng"),
    "bo": ("bod", "Tibt"), "bs": ("bos", "Latn"), "ca": ("cat", "Latn"), "ceb": ("ceb", "Latn"),
    "ckb": ("ckb", "Arab"), "cs": ("ces", "Latn"), "cy": ("cym", "Latn"), "da": ("dan", "Latn"),
    "de": ("deu", "Latn"), "dz": ("dzo", "Tibt"), "ee": ("ewe", "Latn"), "el": ("ell", "Grek"),
    "en": ("eng", "Latn"), "eo": ("epo", "Latn"), "es": ("spa", "Latn"), "et": ("est", "Latn"),
    "eu": ("eus", "Latn"), "fa": ("pes", "Arab"), "ff": ("fuv", "Latn"), "fi": ("fin", "Latn"),
    "fj": ("fij", "Latn"), "fo": ("fao", "Latn"), "fon": ("fon", "Latn"), "fr": ("fra", "Latn"),
    "fur": ("fur", "Latn"), "ga": ("gle", "Latn"), "gd": ("gla", "Latn"), "gl": ("glg", "Latn"),
    "gn": ("grn", "Latn"), "gu": ("guj", "Gujr"), "ha": ("hau", "Latn"), "he": ("heb", "Hebr"),
    "hi": ("hin", "Deva"), "hr": ("hrv", "Latn"), "ht": ("hat", "Latn"), "hu": ("hun", "Latn"),
    "hy": ("hye", "Armn"), "id": ("ind", "Latn"), "ig": ("ibo", "Latn"), "ilo": ("ilo", "Latn"),
    "is": ("isl", "Latn"), "it": ("ita", "Latn"), "ja": ("jpn", "Jpan"), "jv": ("jav", "Latn"),
    "ka": ("kat", "Geor"), "kab": ("kab", "Latn"), "kam": ("kam", "Latn"), "kg": ("kon", "Latn"),
    "ki": ("kik", "Latn"), "kk": ("kaz", "Cyrl"), "km": ("khm", "Khmr"), "kmb": ("kmb", "Latn"),
    "kmr": ("kmr", "Latn"), "kn": ("kan", "Knda"), "ko": ("kor", "Hang"), "ks": ("kas", "Arab"),
    "ky": ("kir", "Cyrl"), "lb": ("ltz", "Latn"), "lg": ("lug", "Latn"), "li": ("lim", "Latn"),
    "ln": ("lin", "Latn"), "lo": ("lao", "Laoo"), "lt": ("lit", "Latn"), "lua": ("lua", "Latn"),
    "luo": ("luo", "Latn"), "lv": ("lvs", "Latn"), "mai": ("mai", "Deva"), "mg": ("plt", "Latn"),
    "mi": ("mri", "Latn"), "mk": ("mkd", "Cyrl"), "ml": ("mal", "Mlym"), "mn": ("khk", "Cyrl"),
    "mni": ("mni", "Beng"), "mos": ("mos", "Latn"), "mr": ("mar", "Deva"), "ms": ("zsm", "Latn"),
    "mt": ("mlt", "Latn"), "my": ("mya", "Mymr"), "nb": ("nob", "Latn"), "ne": ("npi", "Deva"),
    "nl": ("nld", "Latn"), "nn": ("nno", "Latn"), "nso": ("nso", "Latn"), "nus": ("nus", "Latn"),
    "ny": ("nya", "Latn"), "oc": ("oci", "Latn"), "om": ("gaz", "Latn"), "or": ("ory", "Orya"),
    "pa": ("pan", "Guru"), "pag": ("pag", "Latn"), "pap": ("pap", "Latn"), "pl": ("pol", "Latn"),
    "ps": ("pbt", "Arab"), "pt": ("por", "Latn"), "qu": ("quy", "Latn"), "rn": ("run", "Latn"),
    "ro": ("ron", "Latn"), "ru": ("rus", "Cyrl"), "rw": ("kin", "Latn"), "sa": ("san", "Deva"),
    "sat": ("sat", "Olck"), "sc": ("srd", "Latn"), "sd": ("snd", "Arab"), "sg": ("sag", "Latn"),
    "shn": ("shn", "Mymr"), "si": ("sin", "Sinh"), "sk": ("slk", "Latn"), "sl": ("slv", "Latn"),
    "sm": ("smo", "Latn"), "sn": ("sna", "Latn"), "so": ("som", "Latn"), "sq": ("als", "Latn"),
    "sr": ("srp", "Cyrl"), "ss": ("ssw", "Latn"), "st": ("sot", "Latn"), "su": ("sun", "Latn"),
    "sv": ("swe", "Latn"), "sw": ("swh", "Latn"), "szl": ("szl", "Latn"), "ta": ("tam", "Taml"),
    "te": ("tel", "Telu"), "tg": ("tgk", "Cyrl"), "th": ("tha", "Thai"), "ti": ("tir", "Ethi"),
    "tk": ("tuk", "Latn"), "tl": ("tgl", "Latn"), "tn": ("tsn", "Latn"), "tpi": ("tpi", "Latn"),
    "tr": ("tur", "Latn"), "ts": ("tso", "Latn"), "tt": ("tat", "Cyrl"), "tum": ("tum", "Latn"),
    "tw": ("twi", "Latn"), "ug": ("uig", "Arab"), "uk": ("ukr", "Cyrl"), "umb": ("umb", "Latn"),
    "ur": ("urd", "Arab"), "uz": ("uzn", "Latn"), "vi": ("vie", "Latn"), "war": ("war", "Latn"),
    "wo": ("wol", "Latn"), "xh": ("xho", "Latn"), "yi": ("ydd", "Hebr"), "yo": ("yor", "Latn"),
    "yue": ("yue", "Hant"), "zh": ("zho", "Hans"), "zu": ("zul", "Latn"), "ak": ("aka", "Latn"),
    "dyu": ("dyu", "Latn"), "kbp": ("kbp", "Latn"), "kr": ("knc", "Latn"), "ti-ER": ("tir", "Ethi"),
}
# Extra three-letter codes that name a language above (ISO 639-3 / ISO 639-2 / NLLB alternates).
_ALIASES: dict[str, str] = {
    "swa": "sw", "swc": "sw", "zsm": "ms", "msa": "ms", "pes": "fa", "fas": "fa", "prs": "fa",
    "arb": "ar", "ara": "ar", "azj": "az", "aze": "az", "lvs": "lv", "lav": "lv", "uzn": "uz",
    "uzb": "uz", "npi": "ne", "nep": "ne", "ory": "or", "ori": "or", "gaz": "om", "orm": "om",
    "khk": "mn", "mon": "mn", "pbt": "ps", "pus": "ps", "quy": "qu", "que": "qu", "plt": "mg",
    "mlg": "mg", "als": "sq", "sqi": "sq", "ydd": "yi", "yid": "yi", "fuv": "ff", "ful": "ff",
    "cmn": "zh", "twi": "tw", "aka": "ak", "kin": "rw", "nor": "nb", "est": "et", "ekk": "et",
    "hbs": "sr", "knc": "kr", "kon": "kg", "grn": "gn", "est_Latn": "et",
}
_THREE_TO_TWO = {v[0]: k for k, v in _LANGS.items() if "-" not in k}
_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_SCRIPT_RE = re.compile(r"^[A-Za-z]{4}$")
_REGION_RE = re.compile(r"^(?:[A-Za-z]{2}|[0-9]{3})$")


def _base(code: str) -> str:
    code = code.lower()
    if code in _LANGS:
        return code
    if code in _ALIASES:
        return _ALIASES[code]
    if code in _THREE_TO_TWO:
        return _THREE_TO_TWO[code]
    return code


def parse_lang(tag: str) -> str:
    """Canonical xdata tag for a BCP-47 or NLLB-style code.

    >>> parse_lang("swh_Latn"), parse_lang("sr_Cyrl"), parse_lang("SR-latn"), parse_lang("pa-Arab")
    ('sw', 'sr', 'sr-Latn', 'pa-Arab')
    """
    if not isinstance(tag, str) or not _TAG_RE.match(tag.strip()):
        raise ConfigError(
            f"not a language tag: {tag!r} (expected BCP-47 like 'sw', 'sr-Latn' or NLLB like 'swh_Latn')"
        )
    return _parse(tag.strip())


@functools.lru_cache(maxsize=4096)
def _parse(tag: str) -> str:
    parts = re.split(r"[-_]", tag)
    lang = _base(parts[0])
    if not _known_language(lang):
        raise ConfigError(f"unknown language code {parts[0]!r} in {tag!r}: not an ISO 639 language "
                          "(expected e.g. 'sw', 'swh', 'zu', or NLLB 'swh_Latn')")
    script = region = None
    for p in parts[1:]:
        if _SCRIPT_RE.match(p):
            if script is not None:
                raise ConfigError(f"language tag {tag!r} has two script subtags ({script}, {p.title()}); give one")
            script = p.title()
        elif _REGION_RE.match(p):
            if region is not None:
                raise ConfigError(f"language tag {tag!r} has two region subtags ({region}, {p.upper()}); give one")
            region = p.upper()
    default = _LANGS.get(lang, (None, None))[1]
    out = lang
    if script and script != default:
        out += "-" + script
    if region:
        out += "-" + region
    return out


def _known_language(code: str) -> bool:
    """Whether ``code`` is an ISO 639 language (xdata's own table, else the IANA registry)."""
    if code in _LANGS or code in _ALIASES or code in _THREE_TO_TWO:
        return True
    try:
        import langcodes
    except ImportError:  # pragma: no cover - langcodes is a core dependency
        return True
    return bool(langcodes.tag_is_valid(code))


def lang_script(tag: str) -> str | None:
    """The ISO 15924 script of a tag: explicit subtag, else the language's default."""
    canon = parse_lang(tag)
    for p in canon.split("-")[1:]:
        if _SCRIPT_RE.match(p):
            return p
    return _LANGS.get(canon.split("-")[0], (None, None))[1]


def base_lang(tag: str) -> str:
    """The language subtag alone (``sr-Latn`` -> ``sr``)."""
    return parse_lang(tag).split("-")[0]


def to_nllb(tag: str) -> str:
    """NLLB/FLORES code for a tag (``sw`` -> ``swh_Latn``, ``sr-Latn`` -> ``srp_Latn``)."""
    canon = parse_lang(tag)
    lang = canon.split("-")[0]
    script = lang_script(canon)
    three = _LANGS[lang][0] if lang in _LANGS else lang
    if script is None:
        raise ConfigError(f"no default script known for {tag!r}; give one explicitly, e.g. '{lang}-Latn'")
    return f"{three}_{script}"


def known_languages() -> list[str]:
    """Language tags xdata has a mapping for."""
    return sorted(k for k in _LANGS if "-" not in k)
