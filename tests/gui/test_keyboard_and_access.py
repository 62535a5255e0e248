"""Keyboard-only use and accessible names: every control a user can reach with Tab has a name a screen reader
can say, and the wizard can be walked with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget

from streamdoctor.gui.pages import PageId

pytestmark = pytest.mark.gui


def focus_chain(wizard: QWidget) -> list[QWidget]:
    """The widgets Tab visits, in order (Qt's focus chain, limited to visible, enabled, tab-focusable ones)."""
    chain: list[QWidget] = []
    widget = wizard.nextInFocusChain()
    while widget is not wizard and len(chain) < 500:
        if (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and widget.isVisibleTo(wizard) and widget.isEnabled():
            chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def test_keyboard_only_walk_and_names(qtbot: Any, make_wizard: Any) -> None:
    wizard = make_wizard(None)  # a real (not lab) setup page, without touching the network
    wizard.activateWindow()
    # Welcome: Return presses the default button (Next).
    qtbot.keyClick(wizard, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.SETUP
    setup = wizard.page(PageId.SETUP)
    chain = focus_chain(wizard)
    reachable = {id(w) for w in chain}
    for control in (setup.key_edit, setup.show_key, setup.official, setup.thorough,
                    wizard.button(wizard.WizardButton.NextButton)):
        assert id(control) in reachable, f"{control.accessibleName()} cannot be reached with Tab"
    unnamed = [type(w).__name__ for w in chain if not w.accessibleName()]
    assert not unnamed, f"controls without an accessible name: {unnamed}"

    # Choose the gateway with the keyboard, type a bad address: Next is refused with a reason.
    setup.custom.setFocus()
    qtbot.keyClick(setup.custom, Qt.Key.Key_Space)
    assert setup.custom.isChecked()
    qtbot.keyClicks(setup.url_edit, "not a url")
    assert not wizard.button(wizard.WizardButton.NextButton).isEnabled()
    assert "not a usable URL" in setup.url_error.text()
    setup.url_edit.clear()
    qtbot.keyClicks(setup.url_edit, "https://gateway.example.com/")
    assert wizard.button(wizard.WizardButton.NextButton).isEnabled()
    assert setup.url_error.text() == ""
    # Escape-free way back: Alt+B is not portable, Back is a button reachable with Tab; use the button's shortcut.
    wizard.button(wizard.WizardButton.BackButton).setFocus()
    qtbot.keyClick(wizard.button(wizard.WizardButton.BackButton), Qt.Key.Key_Space)
    assert wizard.currentId() == PageId.WELCOME


def test_every_control_on_every_page_has_a_name(qtbot: Any, make_wizard: Any) -> None:
    wizard = make_wizard("clean")
    missing = []
    for page_id in PageId:
        page = wizard.page(page_id)
        for control in page.findChildren(QAbstractButton) + page.findChildren(QLineEdit):
            if not control.accessibleName():
                missing.append(f"{page_id.name}: {type(control).__name__} {getattr(control, 'text', str)()!r}")
    assert not missing, missing


def test_window_fits_a_small_screen(make_wizard: Any) -> None:
    wizard = make_wizard("clean")
    assert wizard.width() <= 1024 and wizard.height() <= 700
    assert wizard.minimumSizeHint().width() <= 1024 and wizard.minimumSizeHint().height() <= 700


def test_pages_after_the_first_are_built_after_the_first_paint(qtbot: Any) -> None:
    """run_gui builds only the Welcome page before showing the window (start-up time); the rest follow."""
    from streamdoctor.gui.state import WizardState
    from streamdoctor.gui.wizard import StreamDoctorWizard

    wizard = StreamDoctorWizard(WizardState(), defer_pages=True)
    qtbot.addWidget(wizard)
    assert wizard.page(PageId.SETUP) is None
    wizard.show()
    qtbot.waitUntil(lambda: wizard.page(PageId.SAVE) is not None, timeout=5_000)
    qtbot.keyClick(wizard, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.SETUP
    assert wizard.shutdown(3000)


@pytest.mark.parametrize("test_page", [PageId.STRESS, PageId.IDLE])
def test_after_a_live_test_enter_means_next(qtbot: Any, make_wizard: Any, test_page: PageId) -> None:
    """Issue 15 item 8: when a test finished, focus landed on Back, so Enter went back and ran the previous step
    again. After a test, Enter (a real key press) must go on to the next page."""
    from conftest import advance

    wizard = make_wizard("clean", quick=False)
    wizard.activateWindow()
    while wizard.currentId() != test_page:
        assert advance(qtbot, wizard) != PageId.RESULTS, f"never reached {test_page.name}"
    page = wizard.currentPage()
    qtbot.waitUntil(page.isComplete, timeout=60_000)
    expected = wizard.nextId()
    target = QApplication.focusWidget() or wizard
    qtbot.keyClick(target, Qt.Key.Key_Return)
    assert wizard.currentId() == expected, (
        f"Enter after the {test_page.name} test went to page {wizard.currentId()}, not {expected}; "
        f"focus was on {type(target).__name__} {target.accessibleName()!r}")
