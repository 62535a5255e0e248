""""Keep watching": the background watch's tray icon, its small status menu and the timeline window.

The watch itself is a separate headless process (watch/launch.py), so it keeps running when the wizard is
closed; this object only starts/stops it and reads its database every few seconds in a worker thread (never
on the GUI thread). Start at login and notifications are off until the user ticks them; "Stop watching and
remove" stops the process, removes the login item and deletes the record in one click.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from ..i18n import N_, _, ngettext
from .words import error_text
from .workers import Task

REFRESH_MS = 5_000  # the record changes at most every few seconds; reading it is a few ms in a worker
NOTIFY_MS = 8_000
# How the watch's record names a cut's ending -> the notification's sentence (one whole sentence per ending)
CUT_SENTENCES = {
    "reset": N_("A connection was cut (reset) after {secs:.0f} s of silence."),
    "fin": N_("A connection was closed by the network after {secs:.0f} s of silence."),
    "tls_close": N_("A connection was closed by a proxy after {secs:.0f} s of silence."),
    "drop": N_("A connection was silently dropped after {secs:.0f} s of silence."),
}


def cut_sentence(ending: str, silence_s: float) -> str:
    """The notification for one cut, in the user's language; an ending the table does not know gets a general one."""
    return _(CUT_SENTENCES.get(ending, N_("A connection was cut after {secs:.0f} s of silence.")), secs=silence_s)


class WatchTray(QObject):
    def __init__(self, base_url: str = "", lab: str = "", db: Path | None = None, icon: QIcon | None = None,
                 parent: QObject | None = None, cut_s: float | None = None) -> None:
        super().__init__(parent)
        self.base_url, self.lab, self.db, self.cut_s = base_url, lab, db, cut_s
        self.window: Any = None  # the timeline window, made on first show (the wizard's start pays nothing)
        self.tray = QSystemTrayIcon(icon if icon is not None and not icon.isNull() else
                                    QApplication.windowIcon(), self)
        self.menu = QMenu()
        self.status_action = QAction(_("Starting…"), self.menu)
        self.status_action.setEnabled(False)
        show = QAction(_("Show the timeline…"), self.menu)
        show.triggered.connect(self.show_window)
        self.notify_action = QAction(_("Notify me when a cut is caught"), self.menu)
        self.notify_action.setCheckable(True)
        self.login_action = QAction(_("Start watching at login"), self.menu)
        self.login_action.setCheckable(True)
        self.login_action.toggled.connect(self.set_autostart)
        remove = QAction(_("Stop watching and remove"), self.menu)
        remove.triggered.connect(self.stop_and_remove)
        for a in (self.status_action, show, self.notify_action, self.login_action, remove):
            self.menu.addAction(a)
        self.menu.insertSeparator(self.notify_action)
        self.tray.setContextMenu(self.menu)
        self.tray.setToolTip(_("Stream Doctor is watching for connection cuts"))
        self.tray.activated.connect(self.on_activated)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.tasks: list[Task] = []  # referenced until finished (house rule for QRunnables)
        self.busy = False
        self.last_status: dict[str, Any] | None = None
        self.last_cut_id: int | None = None
        self.pid: int | None = None

    def start(self) -> None:
        # The watch's modules load here, on the click, not when the wizard starts.
        from ..watch import launch

        self.login_action.blockSignals(True)
        self.login_action.setChecked(launch.autostart_enabled())
        self.login_action.blockSignals(False)
        self.pid = launch.start(self.base_url, self.lab, self.db, self.cut_s)
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.show()
        else:
            self.show_window()  # no tray on this desktop: the window is the status
        self.timer.start()
        self.refresh()

    @Slot()
    def show_window(self) -> None:
        if self.window is None:
            from .watch_window import WatchWindow

            self.window = WatchWindow()
            if self.last_status is not None:
                self.window.show_status(self.last_status)
        self.window.show()

    @Slot(QSystemTrayIcon.ActivationReason)
    def on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_window()

    @Slot()
    def refresh(self) -> None:
        if self.busy:  # one read at a time: a slow disk must not pile reads up
            return
        self.busy = True
        from ..watch.status import status_snapshot  # on the first refresh, not at the wizard's start

        task = Task(status_snapshot, self.db)
        task.signals.done.connect(self.on_status)
        task.signals.failed.connect(self.on_failed)
        self.tasks = [task]
        QThreadPool.globalInstance().start(task)

    @Slot(object)
    def on_status(self, status: dict[str, Any]) -> None:
        self.busy = False
        a = status.get("analysis") or {}
        running = status.get("running")
        cuts = int(a.get("cuts", 0) or 0)
        text = (ngettext("Watching: {n} cut caught", "Watching: {n} cuts caught", cuts) if running else
                ngettext("Not watching ({n} cut recorded)", "Not watching ({n} cuts recorded)", cuts))
        self.status_action.setText(text)
        self.tray.setToolTip("\n".join(status.get("lines") or [text]))
        self.last_status = status
        if self.window is not None:
            self.window.show_status(status)
        cut = status.get("last_cut")
        if cut is not None and cut["id"] != self.last_cut_id:
            if self.last_cut_id is not None and self.notify_action.isChecked():
                self.tray.showMessage(_("Stream Doctor caught a cut"),
                                      cut_sentence(str(cut.get("ending")), float(cut.get("silence_s") or 0)),
                                      QSystemTrayIcon.MessageIcon.Warning, NOTIFY_MS)
            self.last_cut_id = cut["id"]

    @Slot(object)
    def on_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.status_action.setText(_("Could not read the watch's record: {why}", why=error_text(exc)))

    @Slot(bool)
    def set_autostart(self, on: bool) -> None:
        from ..watch import launch

        if on:
            launch.enable_autostart(launch.watch_argv(self.base_url, self.lab))
        else:
            launch.disable_autostart()

    @Slot()
    def stop_and_remove(self) -> None:
        from ..watch import launch

        self.timer.stop()
        task = Task(launch.remove_all, self.db)  # waits (bounded) for the watch to end: not on this thread
        self.tasks.append(task)
        QThreadPool.globalInstance().start(task)
        self.login_action.blockSignals(True)
        self.login_action.setChecked(False)
        self.login_action.blockSignals(False)
        self.tray.hide()
        if self.window is not None:
            self.window.close()
