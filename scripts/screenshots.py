#!/usr/bin/env python3
"""Render every wizard page with real lab data to PNG under docs/screenshots/ (`make screenshots`).

Walks the wizard on the lab like a user (a QTimer presses Next when a page is complete; no processEvents
loops) and grabs each finished page: the idle-reset profile for the pages that show a problem, the clean
profile for the healthy result, and the results once more in a dark palette. Runs under Xvfb (`make
screenshots` uses xvfb-run when it exists) or, without a display, on Qt's offscreen platform.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from streamdoctor.gui import crash  # noqa: E402
from streamdoctor.gui.app import lab_state, make_application  # noqa: E402
from streamdoctor.gui.pages import PageId  # noqa: E402
from streamdoctor.gui.wizard import StreamDoctorWizard  # noqa: E402

NAMES = {PageId.WELCOME: "1-welcome", PageId.SETUP: "2-setup", PageId.SCAN: "3-scan", PageId.STRESS: "4-stress",
         PageId.IDLE: "5-idle", PageId.RESULTS: "6-results", PageId.SAVE: "7-save"}


class Shooter:
    def __init__(self, wizard: StreamDoctorWizard, out: Path, suffix: str, only: set[PageId] | None) -> None:
        self.wizard, self.out, self.suffix, self.only = wizard, out, suffix, only
        self.shot: set[int] = set()
        self.saved: list[Path] = []
        self.timer = QTimer(wizard)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self.step)

    def step(self) -> None:
        wizard = self.wizard
        current = PageId(wizard.currentId())
        page = wizard.currentPage()
        if not page.isComplete():
            return
        if current not in self.shot:
            self.shot.add(current)
            if self.only is None or current in self.only:
                if current == PageId.RESULTS:
                    for card in page.cards[:1]:
                        card.why_button.setChecked(True)  # show the evidence on the first card
                path = self.out / f"{NAMES[current]}{self.suffix}.png"
                wizard.grab().save(str(path), "PNG")
                self.saved.append(path)
            return  # grab on one tick, move on the next: the page is painted in between
        if current == PageId.SAVE:
            self.timer.stop()
            QApplication.instance().exit(0)
            return
        wizard.next()


def shoot(app: Any, profile: str, out: Path, suffix: str = "", only: set[PageId] | None = None,
          dark: bool = False) -> list[Path]:
    with lab_state(profile) as state:
        wizard = StreamDoctorWizard(state)
        if dark:
            wizard.setPalette(dark_palette())
        wizard.show()
        shooter = Shooter(wizard, out, suffix, only)
        shooter.timer.start()
        app.exec()
        wizard.shutdown()
        wizard.close()
        return shooter.saved


def dark_palette() -> QPalette:
    """What a dark desktop scheme hands Qt; the wizard only uses palette roles, so it follows."""
    p = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e8e8e8"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.Text, "#e8e8e8"),
                         (QPalette.ColorRole.Button, "#3a3a3a"), (QPalette.ColorRole.ButtonText, "#e8e8e8"),
                         (QPalette.ColorRole.Highlight, "#3d7bd9"), (QPalette.ColorRole.Mid, "#555555"),
                         (QPalette.ColorRole.AlternateBase, "#262626")):
        p.setColor(role, QColor(colour))
    return p


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    crash.install_qt_message_handler()
    app = make_application()
    saved = shoot(app, "idle-reset", args.out)
    saved += shoot(app, "clean", args.out, "-healthy", {PageId.STRESS, PageId.RESULTS})
    saved += shoot(app, "idle-reset", args.out, "-dark", {PageId.RESULTS}, dark=True)
    print(f"Qt platform: {QApplication.platformName()}")
    for path in saved:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
