"""Numbers and dates the way each language writes them ("0,4 s" in German, "0.4 s" in Japanese).

Why our own table and not Babel or the C locale: the C library's locales are often missing on the machines we run
on (a frozen app on Windows, a minimal Linux), `locale.setlocale` is process-wide and not thread-safe, and Babel's
data is 30 MB. Seven languages need only a decimal mark, a group mark and two date patterns.
"""

from __future__ import annotations

import datetime as _dt
import string
import unicodedata
from typing import Any

# code -> (decimal mark, group mark). French groups with a narrow no-break space (CLDR), so a number never wraps.
_MARKS: dict[str, tuple[str, str]] = {
    "en": (".", ","),
    "de": (",", "."),
    "fr": (",", "\u202f"),
    "es": (",", "."),
    "pt_BR": (",", "."),
    "ja": (".", ","),
    "zh_CN": (".", ","),
}
# code -> strftime pattern for a date with time (CLDR's medium forms, with digits only so no month names are needed)
_DATETIME: dict[str, str] = {
    "en": "%Y-%m-%d %H:%M",
    "de": "%d.%m.%Y %H:%M",
    "fr": "%d/%m/%Y %H:%M",
    "es": "%d/%m/%Y %H:%M",
    "pt_BR": "%d/%m/%Y %H:%M",
    "ja": "%Y/%m/%d %H:%M",
    "zh_CN": "%Y/%m/%d %H:%M",
}


def format_number(value: float | int, spec: str = "", lang: str = "en") -> str:
    """`format(value, spec)` with the language's decimal and group marks."""
    text = format(value, spec)
    dec, group = _MARKS.get(lang, _MARKS["en"])
    if (dec, group) == (".", ","):
        return text
    return text.replace(",", "\0").replace(".", dec).replace("\0", group)


def format_datetime(when: float | _dt.datetime, lang: str = "en") -> str:
    """A timestamp (seconds since the epoch, local time) or datetime as the language writes dates."""
    moment = when if isinstance(when, _dt.datetime) else _dt.datetime.fromtimestamp(when)
    return moment.strftime(_DATETIME.get(lang, _DATETIME["en"]))


class LocaleFormatter(string.Formatter):
    """str.format with numbers written the language's way; everything else formats as usual."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_number(value, format_spec, self.lang)
        return super().format_field(value, format_spec)


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: Japanese and Chinese characters take two (East Asian Wide/Fullwidth)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: str, columns: int) -> str:
    """`text` followed by spaces up to `columns` terminal columns (a format spec's `:<N` counts characters, so
    a German title overruns its column and a Japanese one is twice as wide as it counts)."""
    return text + " " * max(0, columns - display_width(text))
