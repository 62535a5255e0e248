"""The languages the app speaks, and how an OS's language tag becomes one of them.

Why a fixed table: every language here has a complete catalog that a test checks (tests/unit/test_i18n_catalogs.py),
so the app never shows a half-translated page. A tag the table does not know falls back to English, which every
msgid already is. The OS gives tags in many spellings ("de_DE.UTF-8", "de-AT", "zh-Hans-CN", "pt_BR", "ja-JP");
`match` reads them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SOURCE = "en"  # msgids are English: English needs no catalog

# code -> the language's own name (what the language menu shows, so a user can find theirs without reading English)
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "ja": "日本語",
    "zh_CN": "简体中文",
    "pt_BR": "Português (Brasil)",
}
SUPPORTED: tuple[str, ...] = tuple(NATIVE_NAMES)

# A pseudo-language for tests and translators (the name Windows uses for its own): every translated string comes out
# accented, a third longer and in brackets, so an untranslated string or a clipped label shows at a glance.
PSEUDO = "qps-ploc"

# BCP 47 / POSIX tag -> our code, for the tags that need more than their first part
_SCRIPT_OR_REGION = {
    ("zh", "hans"): "zh_CN", ("zh", "cn"): "zh_CN", ("zh", "sg"): "zh_CN",
    ("pt", "br"): "pt_BR",
}
# A bare language with one catalog for it: Portuguese speakers outside Brazil read pt_BR better than English;
# Chinese without a script is not assumed to be Simplified (Taiwan and Hong Kong write Traditional).
_BARE = {"pt": "pt_BR"}
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def normalize(tag: str) -> str | None:
    """One OS language tag ("de_AT.UTF-8@euro", "zh-Hans-CN", "pt-BR") -> a SUPPORTED code or PSEUDO, else None."""
    tag = tag.strip().split(".", 1)[0].split("@", 1)[0]
    if tag.lower() == PSEUDO:
        return PSEUDO
    if not _TAG.match(tag) or tag in ("C", "POSIX"):
        return None
    parts = [p.lower() for p in re.split(r"[-_]", tag)]
    lang = parts[0]
    for sub in parts[1:]:
        if (lang, sub) in _SCRIPT_OR_REGION:
            return _SCRIPT_OR_REGION[(lang, sub)]
        if lang == "zh" and sub in ("hant", "tw", "hk", "mo"):
            return None  # Traditional Chinese: no catalog, and Simplified would be the wrong script
    if lang in SUPPORTED:
        return lang
    return _BARE.get(lang)


def match(tags: Iterable[str]) -> str:
    """The first supported language in the user's order of preference; English when none is."""
    for tag in tags:
        code = normalize(tag)
        if code is not None:
            return code
    return SOURCE
