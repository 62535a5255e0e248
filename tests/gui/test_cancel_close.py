"""Stop and close while a test runs: the page becomes usable again, the window closes within 2 s, and no
worker thread is left behind."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool

from streamdoctor.gui.pages import PageId
from streamdoctor.model import Status

pytestmark = pytest.mark.gui


def test_stop_during_the_stress_test(qtbot: Any, make_wizard: Any, walk: Any) -> None:
    # idle-drop: the stream goes silent and would hang until the 8 s stall limit; Stop must not wait for it.
    wizard = make_wizard("idle-drop", quick=False)
    walk(wizard, PageId.STRESS)
    page = wizard.page(PageId.STRESS)
    assert page.is_running() and not page.isComplete()
    assert not wizard.button(wizard.WizardButton.NextButton).isEnabled()
    qtbot.waitUntil(lambda: page.elapsed.value.text() not in ("–", "0.0 s"), timeout=15_000)  # request sent
    started = time.monotonic()
    with qtbot.waitSignal(page.completeChanged, timeout=5_000):
        page.stop_button.click()
    assert time.monotonic() - started < 5  # generous: the stall limit alone would be 8 s
    assert page.isComplete() and wizard.button(wizard.WizardButton.NextButton).isEnabled()
    assert wizard.state.results["stream"].status is Status.CANCELLED
    assert page.again_button.isEnabled()


def test_close_during_the_idle_test_returns_quickly_and_leaves_no_thread(qtbot: Any, make_wizard: Any,
                                                                        walk: Any) -> None:
    wizard = make_wizard("clean", quick=False)
    wizard.state.api_key = ""  # straight from the scan to the idle test, which holds connections for 10 s
    walk(wizard, PageId.IDLE)
    page = wizard.page(PageId.IDLE)
    qtbot.waitUntil(lambda: bool(page.ladder.connections), timeout=15_000)
    assert page.is_running()
    started = time.monotonic()
    wizard.close()
    assert time.monotonic() - started < 2.0
    assert not wizard.isVisible()
    assert wizard.pool.activeThreadCount() == 0
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_back_during_the_scan_cancels_it(qtbot: Any, make_wizard: Any, walk: Any) -> None:
    wizard = make_wizard("clean", quick=False)
    walk(wizard, PageId.SCAN)
    scan = wizard.page(PageId.SCAN)
    assert scan.is_running()
    run = scan.run
    wizard.back()
    assert wizard.currentId() == PageId.SETUP
    assert run is not None and run.cancel.cancelled
    qtbot.waitUntil(run.done.is_set, timeout=5_000)
    qtbot.waitUntil(lambda: not scan.retired, timeout=5_000)  # its late `finished` was received and ignored
