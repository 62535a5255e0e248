"""The bundled CJK fonts: registered with Qt only when the wizard speaks Japanese or Simplified Chinese.

Why: the frozen app may start where no CJK font is installed (a bare Linux image), and Japanese or Chinese pages
would then show empty boxes. The build (packaging/build_fonts.py) ships a subset of Noto Sans CJK holding exactly
the catalogs' characters; here it is added as a fallback behind the platform's own font, so Latin text keeps the
desktop's look and only the characters that font lacks are drawn from ours. Other languages skip it all: reading
the font costs start-up time they do not need. Japanese and Chinese each get their own face because the same
code points are drawn differently in the two (a Chinese reader sees a Japanese glyph as wrong, and back).
Without the file (a source checkout that never ran the build) the system's fonts are used, as before.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# language -> (file under streamdoctor/fonts/, the family it registers); the names packaging/build_fonts.py writes
FONTS: dict[str, tuple[str, str]] = {
    "ja": ("StreamDoctorCJK-JP.otf", "StreamDoctor CJK JP"),
    "zh_CN": ("StreamDoctorCJK-SC.otf", "StreamDoctor CJK SC"),
}

_font_ids: dict[str, int] = {}  # language -> QFontDatabase id of its font while that language is shown


def font_dir() -> Path:
    """streamdoctor/fonts/ in the source tree and in the frozen build (PyInstaller collects it as package data)."""
    return Path(__file__).resolve().parent.parent / "fonts"


def font_path(lang: str) -> Path | None:
    """The bundled font for `lang`, or None when the language needs none."""
    entry = FONTS.get(lang)
    return font_dir() / entry[0] if entry else None


def install_for(lang: str) -> str | None:
    """Make the running QApplication draw `lang`'s characters with the bundled font; returns the family used.

    Call it with the language the wizard is shown in (again when the user picks another one): the font of the
    previous language is taken out of the fallback list, so a Chinese page never gets Japanese glyph shapes.
    Returns None when `lang` needs no font or the font is not in this build (the system's fonts are used)."""
    if lang not in FONTS and not _font_ids:
        return None  # the common case: nothing to read, nothing to undo, no cost at start-up
    from PySide6.QtGui import QFont, QFontDatabase
    from PySide6.QtWidgets import QApplication

    ours = {family for _, family in FONTS.values()}
    family = _register(lang)
    app_font = QApplication.font()
    families = [f for f in (app_font.families() or [app_font.family()]) if f not in ours]
    primary = families[0] if families else app_font.family()
    if family is not None:
        families.append(family)  # behind the desktop's font: only the characters it lacks come from ours
    if families != (app_font.families() or [app_font.family()]):
        app_font.setFamilies(families)
        QApplication.setFont(app_font)
    # Widgets that pick a family of their own (the monospaced evidence) find the fallback through a substitution.
    for name in {primary, QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()}:
        kept = [s for s in QFont.substitutes(name) if s not in ours]
        QFont.removeSubstitutions(name)
        QFont.insertSubstitutions(name, kept + ([family] if family else []))
    return family


def family_for(lang: str) -> str | None:
    """The bundled family that draws `lang`'s own name (日本語, 简体中文) in the language menu, whatever language
    the wizard is in: a bare Linux has no font for them, so an English wizard would list two rows of boxes. It
    reads the font (well under a millisecond once Qt has its font list) without putting it behind the app font;
    set it on that menu item only. None when `lang` needs no font or the build has none."""
    if lang not in FONTS:
        return None
    return _register(lang, keep_others=True)


def _register(lang: str, keep_others: bool = False) -> str | None:
    from PySide6.QtGui import QFontDatabase

    for other in [k for k in _font_ids if k != lang and not keep_others]:
        font_id = _font_ids.pop(other)  # out of Qt's database, so no cached fallback keeps its shapes
        if font_id >= 0:
            QFontDatabase.removeApplicationFont(font_id)
    entry = FONTS.get(lang)
    if entry is None:
        return None
    if lang not in _font_ids:
        path = font_dir() / entry[0]
        if not path.is_file():
            log.info("no bundled font for %s (%s): the system's fonts are used", lang, path)
            return None
        _font_ids[lang] = QFontDatabase.addApplicationFont(str(path))
        if _font_ids[lang] < 0:
            log.warning("Qt could not load the bundled font %s: the system's fonts are used", path)
        else:
            # packaging/smoke_test.py looks for this line in the frozen app's log
            log.info("bundled font registered for %s: %s from %s", lang,
                     QFontDatabase.applicationFontFamilies(_font_ids[lang]), path.name)
    if _font_ids[lang] < 0:
        return None
    families = QFontDatabase.applicationFontFamilies(_font_ids[lang])
    return families[0] if families else None
