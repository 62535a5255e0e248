"""What the GUI does when its language is chosen, beyond the catalog: fonts and Qt's own words.

Why here: the language is chosen at start and again from the Welcome page's menu, and both must do the same two
things. The bundled CJK font (gui/fonts.py) for ja and zh_CN, and Qt's own catalog (qtbase_<lang>.qm, shipped by
PySide6 and kept by the build) for what Qt draws itself: a text field's context menu (Undo, Copy, Paste) and the
widget-based file dialog, which our gettext catalogs cannot reach.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from ..i18n import SOURCE
from . import fonts

log = logging.getLogger(__name__)
_qt_translator: QTranslator | None = None


def _qt_catalog_dirs() -> list[Path]:
    import PySide6

    return [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
            Path(PySide6.__file__).resolve().parent / "Qt" / "translations"]


def install_qt_catalog(code: str) -> bool:
    """Qt's own words in `code` (the previous language's removed); False when there is none for it."""
    global _qt_translator
    app = QCoreApplication.instance()
    if app is None:
        return False
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if code == SOURCE:
        return False
    translator = QTranslator(app)
    for folder in _qt_catalog_dirs():
        if translator.load(f"qtbase_{code}", str(folder)):
            app.installTranslator(translator)
            _qt_translator = translator
            return True
    log.info("no Qt catalog for %s: Qt's own menus stay English", code)
    return False


def apply(code: str) -> None:
    """Everything beyond our catalog that follows the language: the CJK font and Qt's own words."""
    fonts.install_for(code)
    install_qt_catalog(code)
