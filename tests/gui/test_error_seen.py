"""'What did you see?' on the Setup page: the pasted error reaches the Results page with an answer."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from streamdoctor.gui.pages import PageId

pytestmark = pytest.mark.gui


def test_pasted_error_is_answered_on_the_results_page(qtbot: Any, make_wizard: Any, walk: Any) -> None:
    wizard = make_wizard("clean", quick=True)
    walk(wizard, PageId.SETUP)
    setup = wizard.page(PageId.SETUP)
    setup.error_edit.setFocus()
    qtbot.keyClicks(setup.error_edit.lineEdit(), "Unable to connect to API (ECONNRESET)")
    walk(wizard, PageId.RESULTS)
    results = wizard.page(PageId.RESULTS)
    text = results.seen_label.text()
    assert results.seen_label.isVisibleTo(wizard) and "What you saw" in text
    assert "does not explain" in text  # the clean lab shows nothing that resets connections
    assert wizard.state.build_report().target["user_error"]["recognised"][0] == "econnreset"


def test_the_examples_offered_are_recognised_and_nothing_picked_means_no_answer(qtbot: Any, make_wizard: Any,
                                                                               walk: Any) -> None:
    wizard = make_wizard("clean", quick=True)
    walk(wizard, PageId.SETUP)
    setup = wizard.page(PageId.SETUP)
    assert setup.error_edit.count() > 8 and setup.error_edit.currentText() == ""
    walk(wizard, PageId.RESULTS)
    assert not wizard.page(PageId.RESULTS).seen_label.isVisibleTo(wizard)
    assert "user_error" not in wizard.state.build_report().target


def test_ticking_the_log_box_puts_claude_codes_logs_in_the_report(qtbot: Any, make_wizard: Any, walk: Any,
                                                                  tmp_path: Any, monkeypatch: Any) -> None:
    import shutil
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "fixtures" / "claude_code" / "logs" / "midstream-reset"
    cfg = tmp_path / "claude"
    shutil.copytree(src, cfg)
    import os
    import time

    for p in cfg.rglob("*"):  # the reader skips logs older than two weeks; a checkout may be older
        os.utime(p, (time.time(), time.time()))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(cfg))
    wizard = make_wizard("clean", quick=True)
    walk(wizard, PageId.SETUP)
    setup = wizard.page(PageId.SETUP)
    setup.read_logs.setFocus()
    qtbot.keyClick(setup.read_logs, Qt.Key.Key_Space)
    assert setup.read_logs.isChecked()
    walk(wizard, PageId.RESULTS)
    report = wizard.state.build_report()
    logs = next(r for r in report.results if r.probe == "claude.logs")
    assert logs.data["fallbacks"] == 1
    assert "clients.claude-code-logs" in {f.rule for f in report.verdict.findings}


@pytest.mark.parametrize("tick", [True, False])
def test_the_installed_clients_run_only_when_the_box_is_ticked(qtbot: Any, make_wizard: Any, walk: Any,
                                                                tick: bool) -> None:
    """The wizard's consent for `check --user-clients`: the user's own clients may use their quota."""
    wizard = make_wizard("clean", quick=True)
    walk(wizard, PageId.SETUP)
    setup = wizard.page(PageId.SETUP)
    assert not setup.user_clients.isChecked()  # never without asking
    if tick:
        setup.user_clients.setFocus()
        qtbot.keyClick(setup.user_clients, Qt.Key.Key_Space)
    walk(wizard, PageId.RESULTS)
    assert wizard.state.run_user_clients is tick
    assert bool(wizard.state.ctx.options.get("user_clients")) is tick


@pytest.mark.parametrize("agree", [True, False])
def test_a_key_goes_to_a_plain_http_address_only_after_the_user_agrees(qtbot: Any, make_wizard: Any, walk: Any,
                                                                        monkeypatch: Any, agree: bool) -> None:
    """Issue 14 item 9 in the wizard: the Setup page asks before a key would travel in cleartext. Only the page's
    validation runs here: nothing is sent anywhere."""
    wizard = make_wizard(None, quick=True)
    walk(wizard, PageId.SETUP)
    setup = wizard.page(PageId.SETUP)
    asked: list[bool] = []
    monkeypatch.setattr(setup, "confirm_cleartext_key", lambda: asked.append(True) or agree)
    setup.custom.setChecked(True)
    setup.url_edit.setText("http://gateway.example.invalid:8080")
    setup.key_edit.setText("sk-ant-test-cleartext")
    assert setup.validatePage()
    assert asked == [True]
    assert wizard.state.api_key == ("sk-ant-test-cleartext" if agree else "")
