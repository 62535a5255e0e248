#!/usr/bin/env python3
"""Start-up: time from launching the process to the first painted wizard page, Stream Doctor vs a bare
PySide6 QWizard started the same way (both as fresh subprocesses of the same interpreter, same Qt platform,
alternating, median of several). Target: ratio <= 1.5. Prints numbers; asserts nothing about time.

Runs on the offscreen platform unless a display is set (run it under xvfb-run to include X11 costs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5

# The baseline: the smallest honest "wizard shown": QApplication, a QWizard with one page, first paint.
BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWizard, QWizardPage
app = QApplication(sys.argv[:1])
wizard = QWizard()
page = QWizardPage()
page.setTitle("Welcome")
QVBoxLayout(page).addWidget(QLabel("The first page of a bare wizard."))
wizard.addPage(page)
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(f"first-paint {time.time():.6f}", flush=True)
            obj.removeEventFilter(self)
            QTimer.singleShot(0, app.quit)
        return False
watcher = FirstPaint()
page.installEventFilter(watcher)
wizard.show()
app.exec()
"""


def first_paint_s(cmd: list[str], env: dict[str, str]) -> float:
    started = time.time()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"{cmd[:3]} printed no first-paint line (exit {done.returncode}): {done.stderr[-500:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["STREAMDOCTOR_HOME"] = env.get("STREAMDOCTOR_HOME") or str(Path("/tmp") / "streamdoctor-bench-home")
    env["STREAMDOCTOR_EXIT_AFTER_FIRST_PAINT"] = "1"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    # Installed apps (wheel, PyInstaller) run from bytecode. With PYTHONDONTWRITEBYTECODE (set on some dev and CI
    # machines) every project module would be compiled on every start, a cost the bare wizard never pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path("/tmp") / "streamdoctor-bench-pycache")  # never writes into the tree
    bare_cmd = [sys.executable, "-c", BARE]
    app_cmd = [sys.executable, "-m", "streamdoctor"]
    first_paint_s(bare_cmd, env)  # warm the OS file cache and the bytecode cache for both
    first_paint_s(app_cmd, env)
    bare, app = [], []
    for _ in range(args.runs):
        bare.append(first_paint_s(bare_cmd, env))
        app.append(first_paint_s(app_cmd, env))
    b, a = statistics.median(bare), statistics.median(app)
    ratio = a / b
    best_ratio = min(app) / min(bare)  # the fastest run of each: least disturbed by other load on the machine
    platform = env.get("QT_QPA_PLATFORM") or "xcb"
    print(f"platform {platform}, {args.runs} runs each (median)")
    print(f"  bare QWizard      {b * 1000:7.0f} ms   (runs: {', '.join(f'{x * 1000:.0f}' for x in bare)})")
    print(f"  Stream Doctor     {a * 1000:7.0f} ms   (runs: {', '.join(f'{x * 1000:.0f}' for x in app)})")
    print(f"  ratio {ratio:.2f} of medians, {best_ratio:.2f} of the fastest runs (target <= {TARGET_RATIO}); "
          f"load average {os.getloadavg()[0]:.1f}")
    print("BENCH " + json.dumps({"bench": "gui_startup", "metric": "start to first painted page", "value": round(a, 4),
                                "unit": "s", "baseline": round(b, 4), "ratio": round(ratio, 3),
                                "target": f"<= {TARGET_RATIO}x bare QWizard", "ok": ratio <= TARGET_RATIO}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
