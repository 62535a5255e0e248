"""One translation system for the core and the GUI: gettext catalogs, English msgids, texts that can be re-said.

Why gettext and not Qt's tr(): most of what a user reads (findings, advice, errors, the CLI, summary.txt and
report.html) is made by the Qt-free core, which must not import Qt. gettext is in the standard library, its .po
catalogs are what translators and their tools know, Babel extracts them from the source (scripts/i18n.py), and the
GUI uses the same `_()` so one catalog per language serves both.

How to mark a text (the rules a test enforces, tests/unit/test_i18n_source.py):
- `_("Silent connections are reset after {secs:.0f} s", secs=x)`: the whole sentence is one literal with named
  placeholders; numbers are written the language's way. Never an f-string, never `+` or join of sentence parts.
- `ngettext("{n} finding", "{n} findings", n)` when a number decides the grammar; `n` is a placeholder too.
- `N_("...")` marks a literal in a table built at import time; translate it with `_(...)` where it is shown.
  Never call `_()` at import time: the language is chosen after the modules are loaded.

`_()` returns a `Msg`: a str in the current language that remembers its msgid and parameters, so a report made in
German can be written for IT in English (`relocalize`). The current language is per thread of control
(a ContextVar) over a process-wide choice, so writing the English bundle on a worker never changes the wizard.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gettext
import logging
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from .formatting import LocaleFormatter, format_datetime, format_number
from .languages import NATIVE_NAMES, PSEUDO, SOURCE, SUPPORTED, match, normalize
from .pseudo import pseudo

__all__ = [
    "Msg", "_", "ngettext", "N_", "current", "set_language", "using", "relocalize", "format_number",
    "format_datetime", "fmt_num", "NATIVE_NAMES", "SUPPORTED", "SOURCE", "PSEUDO", "match", "normalize",
    "catalog_dir", "available",
]

log = logging.getLogger(__name__)
DOMAIN = "streamdoctor"
T = TypeVar("T")

_process_language = SOURCE
_override: ContextVar[str | None] = ContextVar("streamdoctor_language", default=None)
_catalogs: dict[str, gettext.NullTranslations] = {}
_catalogs_lock = threading.Lock()


def catalog_dir() -> Path:
    """Where the compiled catalogs are: streamdoctor/locale/<code>/LC_MESSAGES/streamdoctor.mo (made at build time
    by packaging/build_translations.py from resources/translations/<code>.po)."""
    return Path(__file__).resolve().parent.parent / "locale"


def available() -> list[str]:
    """The languages the user can pick: English and every language whose compiled catalog is present."""
    return [code for code in SUPPORTED if code == SOURCE or (catalog_dir() / code / "LC_MESSAGES" /
                                                             f"{DOMAIN}.mo").is_file()]


def _catalog(lang: str) -> gettext.NullTranslations:
    with _catalogs_lock:
        found = _catalogs.get(lang)
        if found is None:
            if lang in (SOURCE, PSEUDO):
                found = gettext.NullTranslations()
            else:
                try:
                    found = gettext.translation(DOMAIN, catalog_dir(), languages=[lang])
                except OSError:
                    log.warning("no compiled catalog for %s in %s: English is shown", lang, catalog_dir())
                    found = gettext.NullTranslations()
            _catalogs[lang] = found
        return found


def current() -> str:
    """The language texts are made in now, in this thread of control."""
    return _override.get() or _process_language


def set_language(lang: str) -> str:
    """Choose the process's language (a SUPPORTED code, PSEUDO or any OS tag); returns the code in use."""
    global _process_language
    _process_language = normalize(lang) or SOURCE
    return _process_language


@contextlib.contextmanager
def using(lang: str) -> Iterator[str]:
    """Make texts in `lang` inside the block, in this thread of control only (e.g. the English bundle for IT)."""
    code = normalize(lang) or SOURCE
    token = _override.set(code)
    try:
        yield code
    finally:
        _override.reset(token)


def _render(msgid: str, plural: str | None, n: int | None, params: dict[str, Any], lang: str) -> str:
    cat = _catalog(lang)
    if plural is None:
        text = cat.gettext(msgid)
    else:
        text = cat.ngettext(msgid, plural, n if n is not None else 1)
    if lang == PSEUDO:
        text = pseudo(text)
    if not params and plural is None:
        return text
    values = {k: (v.in_language(lang) if isinstance(v, Msg) else v) for k, v in params.items()}
    try:
        return LocaleFormatter(lang).vformat(text, (), values)
    except (KeyError, IndexError, ValueError) as exc:
        # A broken translation must never cost the user the message: say it in English instead.
        log.warning("translation of %r into %s does not format (%s): English is shown", msgid, lang, exc)
        source = msgid if plural is None or n == 1 else plural
        return LocaleFormatter(SOURCE).vformat(source, (), values)


class Msg(str):
    """A translated text that remembers how it was made, so it can be said again in another language."""

    msgid: str
    plural: str | None
    n: int | None
    params: dict[str, Any]
    lang: str

    def __new__(cls, msgid: str, plural: str | None = None, n: int | None = None,
                params: dict[str, Any] | None = None, lang: str | None = None) -> Msg:
        lang = lang or current()
        params = dict(params or {})
        if plural is not None:
            params.setdefault("n", n)
        self = super().__new__(cls, _render(msgid, plural, n, params, lang))
        self.msgid, self.plural, self.n, self.params, self.lang = msgid, plural, n, params, lang
        return self

    def in_language(self, lang: str) -> Msg:
        return Msg(self.msgid, self.plural, self.n, self.params, lang)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Msg, (self.msgid, self.plural, self.n, self.params, self.lang))

    def __deepcopy__(self, memo: dict[int, Any]) -> Msg:
        return self  # immutable, like str


def _(msgid: str, /, **params: Any) -> Msg:
    """Translate `msgid` into the current language and fill its named placeholders."""
    return Msg(msgid, None, None, params)


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> Msg:
    """The singular or plural form the current language uses for `n`; `{n}` is filled in too."""
    return Msg(singular, plural, n, params)


def N_(msgid: str, /) -> str:
    """Mark a literal for extraction without translating it (tables made at import time)."""
    return msgid


def fmt_num(value: float | int, spec: str = "") -> str:
    """A number the current language's way, outside a sentence (a table cell, a chart axis)."""
    return format_number(value, spec, current())


def relocalize(obj: T, lang: str) -> T:
    """A copy of `obj` (dataclasses, lists, tuples, dicts, nested) with every Msg said again in `lang`.

    Texts that were not made by `_()` (a server's error message, a file path) are left as they are."""
    if isinstance(obj, Msg):
        return obj.in_language(lang)  # type: ignore[return-value]
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: relocalize(getattr(obj, f.name), lang) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, list):
        return [relocalize(v, lang) for v in obj]  # type: ignore[return-value]
    if isinstance(obj, tuple):
        return tuple(relocalize(v, lang) for v in obj)  # type: ignore[return-value]
    if isinstance(obj, dict):
        return {k: relocalize(v, lang) for k, v in obj.items()}  # type: ignore[return-value]
    return obj
