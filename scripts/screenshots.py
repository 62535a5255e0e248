#!/usr/bin/env python3
"""Render every wizard page with real lab data to PNG under docs/screenshots/<lang>/ (`make screenshots LANG=de`).

Walks the wizard on the lab like a user (a QTimer presses Next when a page is complete; no processEvents
loops) and grabs each finished page at 1024x700 (the size every page must fit, tests/gui/test_i18n_layout.py):
the idle-reset profile for the pages that show a problem, the clean profile for the healthy result, and the
results once more in a dark palette. `--lang` picks the language (en by default; `all` is every language the
build has a catalog for; the pseudo-language qps-ploc shows at a glance which texts are not translated). Runs
under Xvfb (`make screenshots` uses xvfb-run when it exists) or, without a display, on Qt's offscreen platform.
The PNGs are recompressed with optipng when it is installed (they are committed, so every KB is kept forever).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QSize, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from streamdoctor import i18n  # noqa: E402
from streamdoctor.gui import crash, fonts  # noqa: E402
from streamdoctor.gui.app import lab_state, make_application  # noqa: E402
from streamdoctor.gui.pages import PageId  # noqa: E402
from streamdoctor.gui.wizard import StreamDoctorWizard  # noqa: E402

SIZE = QSize(1024, 700)  # the smallest window every page must fit (README: "fits 1024x700")
OPTIPNG_TIMEOUT_S = 60  # per file; -o2 takes well under a second on a 1024x700 screenshot
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
                    # let the layout give the shown evidence its height before the grab (grabbed at once, the
                    # list was drawn in the old, too small geometry: every language's Results shot cut it off)
                    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
                    QApplication.processEvents()
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
        wizard.resize(SIZE)
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


def languages(choice: str) -> list[str]:
    """`all`, or one language by code or OS tag ("de", "pt-BR", "qps-ploc"); ValueError when the build has no
    catalog for it (the screenshots would be English under another language's name)."""
    if choice == "all":
        return i18n.available()
    code = i18n.normalize(choice)
    if code is None or (code != i18n.PSEUDO and code not in i18n.available()):
        raise ValueError(f"no catalog for language {choice!r}; this build has: {', '.join(i18n.available())} "
                         f"(and {i18n.PSEUDO}, or all)")
    return [code]


def optimise(path: Path) -> None:
    if shutil.which("optipng"):
        subprocess.run(["optipng", "-quiet", "-o2", "-strip", "all", str(path)], check=False,
                       timeout=OPTIPNG_TIMEOUT_S)


def shoot_language(app: Any, lang: str, out: Path) -> list[Path]:
    """Every page in `lang` into out/<lang>/: the whole process speaks it (the probes' threads make texts too)."""
    i18n.set_language(lang)
    os.environ["STREAMDOCTOR_LANG"] = lang  # for any part that asks the OS-language chooser instead
    fonts.install_for(lang)
    folder = out / lang
    folder.mkdir(parents=True, exist_ok=True)
    saved = shoot(app, "idle-reset", folder)
    saved += shoot(app, "clean", folder, "-healthy", {PageId.STRESS, PageId.RESULTS})
    saved += shoot(app, "idle-reset", folder, "-dark", {PageId.RESULTS}, dark=True)
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", default="en", help="a language code (de, ja, zh_CN, ...), qps-ploc, or all")
    args = parser.parse_args()
    try:
        langs = languages(args.lang)
    except ValueError as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 2
    crash.install_qt_message_handler()
    app = make_application()
    saved: list[Path] = []
    for lang in langs:
        saved += shoot_language(app, lang, args.out)
    print(f"Qt platform: {QApplication.platformName()}")
    for path in saved:
        optimise(path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
