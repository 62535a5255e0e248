"""A desktop notification when the headless watch catches a cut (only with --notify: a watch that runs for
days must not nag by default). The wizard's tray shows its own; this is for `streamdoctor watch` alone.
Best effort and bounded: a missing tool or a hung notifier never stops the watch."""

from __future__ import annotations

import shutil
import sys

from ..platform.command import run_command

TIMEOUT_S = 3.0


def notify(title: str, text: str) -> bool:
    if sys.platform == "darwin":
        script = f"display notification {_q(text)} with title {_q(title)}"
        return run_command(["/usr/bin/osascript", "-e", script], timeout_s=TIMEOUT_S).ok
    if sys.platform.startswith("linux") and shutil.which("notify-send"):
        return run_command(["notify-send", "--app-name=Stream Doctor", title, text], timeout_s=TIMEOUT_S).ok
    return False  # Windows: toasts need an app identity; the tray (gui/watch_tray.py) shows them instead


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
