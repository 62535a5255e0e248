"""Qt's own words follow the app's language: a text field's context menu (Copy, Paste) is drawn by Qt from its
own catalog (qtbase_<lang>.qm), which gui/language.py installs next to ours and the build keeps."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication

from streamdoctor.gui.language import apply, install_qt_catalog

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(("code", "paste"), [("de", "Einf&ügen"), ("ja", "貼り付け(&P)"), ("fr", "Co&ller")])
def test_qt_catalog_names_qts_own_menu(qtbot, code: str, paste: str) -> None:  # type: ignore[no-untyped-def]
    try:
        assert install_qt_catalog(code)
        assert QCoreApplication.translate("QLineEdit", "&Paste") == paste
    finally:
        apply("en")
    assert QCoreApplication.translate("QLineEdit", "&Paste") == "&Paste"  # English again: the old one removed


def test_every_language_the_app_speaks_has_a_qt_catalog(qtbot) -> None:  # type: ignore[no-untyped-def]
    from streamdoctor.i18n import SOURCE, SUPPORTED

    try:
        missing = [code for code in SUPPORTED if code != SOURCE and not install_qt_catalog(code)]
    finally:
        apply("en")
    assert not missing, f"PySide6 ships no qtbase catalog for {missing}: drop them from pyi_common.QT_CATALOGS"
