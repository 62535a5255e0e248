"""Which language the user chose: our option, then the saved menu choice, then the OS's own setting.

Why each OS differently: POSIX shells say it in LANGUAGE/LC_ALL/LC_MESSAGES/LANG; Windows keeps the display
language apart from the formats (GetUserDefaultUILanguage); a macOS app started from Finder gets no LANG at all,
so the GUI adds Qt's QLocale.system().uiLanguages() (which reads AppleLanguages), passed in as `ui_languages`.
"""

from __future__ import annotations

import locale
import os
import sys
from collections.abc import Sequence

from .. import paths
from .languages import SOURCE, SUPPORTED, match, normalize

ENV = "STREAMDOCTOR_LANG"  # one variable overrides the OS for this app only (tests pin it to "en")
SAVED_FILE = "language"  # in paths.config_dir(): the language menu's choice, one code on one line


def posix_languages(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """The POSIX order of precedence: LANGUAGE (a colon list) counts only when a locale is set at all."""
    tags: list[str] = []
    lc = environ.get("LC_ALL") or environ.get("LC_MESSAGES") or environ.get("LANG") or ""
    if environ.get("LANGUAGE") and lc not in ("", "C", "POSIX"):
        tags += [t for t in environ["LANGUAGE"].split(":") if t]
    if lc:
        tags.append(lc)
    return tags


def windows_languages() -> list[str]:
    """The Windows display language (not the format locale, which may differ)."""
    if sys.platform != "win32":
        return []
    try:
        import ctypes

        lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
    except (OSError, AttributeError):
        return []
    tag = locale.windows_locale.get(lcid)
    return [tag] if tag else []


def saved_language() -> str | None:
    try:
        text = (paths.config_dir() / SAVED_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if text in SUPPORTED else None


def save_language(code: str) -> None:
    """Remember the menu's choice (written whole or not at all)."""
    if code not in SUPPORTED:
        raise ValueError(f"unknown language {code!r}")
    folder = paths.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (SAVED_FILE + ".tmp")
    tmp.write_text(code + "\n", encoding="utf-8")
    tmp.replace(folder / SAVED_FILE)


def choose(option: str | None = None, ui_languages: Sequence[str] = ()) -> str:
    """The language to speak: --lang, STREAMDOCTOR_LANG, the saved choice, the OS; English when none is ours."""
    for explicit in (option, os.environ.get(ENV)):
        if explicit:
            code = normalize(explicit)
            if code is not None:
                return code
    saved = saved_language()
    if saved:
        return saved
    found = match([*windows_languages(), *ui_languages, *posix_languages()])
    return found or SOURCE
