"""The "Keep watching" parts of the wizard: the QPainter timeline, the tray reading a real record in a worker
thread, and start / stop-and-remove driving a real headless watch process against the lab."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QColor

from streamdoctor.gui.watch_tray import WatchTray
from streamdoctor.gui.widgets.watch_timeline import WatchTimeline
from streamdoctor.watch import launch
from streamdoctor.watch.pidfile import running_pid
from streamdoctor.watch.store import Store
from streamdoctor.watch.timeline import build

pytestmark = pytest.mark.gui

VPN = {"vpn_adapters": ["GlobalProtect"], "wifi": "Office"}
HOME = {"vpn_adapters": [], "wifi": "Home"}


def _record(db: Path) -> None:
    now = time.time() - 3600
    with Store(db) as st:
        home, vpn = st.add_state(HOME), st.add_state(VPN)
        st.add_event("start", {}, state_id=home, t=now)
        st.add_event("change", {"what": ["wifi"]}, state_id=vpn, t=now + 600)
        for k in range(3):
            st.add_event("cut", {"silence_s": 31.0}, ending="reset", state_id=vpn, t=now + 900 + 300 * k)
        st.add_event("wake", {"how": "suspend"}, state_id=vpn, t=now + 2500)
        st.add_event("stop", {}, state_id=vpn, t=now + 3000)


def _red_pixels(widget: WatchTimeline) -> int:
    img = widget.grab().toImage()
    red = QColor("#c62828")
    return sum(1 for x in range(0, img.width(), 2) for y in range(0, img.height(), 2)
               if abs(img.pixelColor(x, y).red() - red.red()) < 40 and img.pixelColor(x, y).green() < 90
               and img.pixelColor(x, y).blue() < 90)


def test_timeline_widget_draws_the_cuts(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.sqlite3"
    _record(db)
    with Store(db, readonly=True) as st:
        tl = build([e.as_dict() for e in st.events()], st.states())
    w = WatchTimeline()
    qtbot.addWidget(w)
    w.resize(600, 200)
    assert _red_pixels(w) == 0
    w.set_timeline(tl)
    assert _red_pixels(w) > 5
    assert "Cuts: 3." in w.accessibleDescription()


def test_tray_reads_the_record_off_the_gui_thread(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "w.sqlite3"
    _record(db)
    tray = WatchTray(db=db)
    tray.refresh()
    qtbot.waitUntil(lambda: "3 cuts" in tray.status_action.text(), timeout=10_000)
    assert tray.status_action.text().startswith("Not watching")
    tray.show_window()
    assert "3 cuts" in tray.window.summary.text()
    assert tray.window.timeline.timeline is not None and len(tray.window.timeline.timeline.cuts) == 3
    tray.window.close()


def test_keep_watching_starts_a_real_watch_and_one_click_removes_it(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr("pathlib.Path.home", lambda: tmp_path)
    db = tmp_path / "w.sqlite3"
    tray = WatchTray(lab="clean", db=db)
    try:
        tray.start()
        qtbot.waitUntil(lambda: running_pid(db) is not None, timeout=30_000)
        tray.login_action.setChecked(True)
        assert launch.autostart_enabled() and "watch --lab clean" in launch.autostart_path().read_text()
        tray.refresh()
        qtbot.waitUntil(lambda: tray.status_action.text().startswith("Watching"), timeout=20_000)
        tray.stop_and_remove()
        qtbot.waitUntil(lambda: running_pid(db) is None and not db.exists(), timeout=20_000)
        assert not launch.autostart_enabled()
        assert not tray.login_action.isChecked()
    finally:
        launch.stop(db)  # never leave a watch process behind, whatever failed above
        QThreadPool.globalInstance().waitForDone(10_000)
