"""Logging: everything to a rotating file in the log folder, warnings to stderr only when there is one.

Windowed builds (PyInstaller console=False) have sys.stderr None: adding a console handler there would crash
on the first warning, so none is added.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import IO

from . import paths

_fault_file: IO[str] | None = None


def setup_logging(verbose: bool = False) -> Path | None:
    """Configure the root logger once; returns the log file path (None if the folder is not writable)."""
    global _fault_file
    root = logging.getLogger()
    if getattr(root, "_streamdoctor_configured", False):
        return paths.log_file()
    root.setLevel(logging.DEBUG)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    log_path: Path | None = paths.log_file()
    try:
        assert log_path is not None
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(log_path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        fh.setFormatter(fmt)
        fh.setLevel(logging.DEBUG)
        root.addHandler(fh)
        _fault_file = open(log_path.parent / "crash.log", "a", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
        faulthandler.enable(_fault_file)
    except OSError:
        log_path = None
    if sys.stderr is not None:
        ch = logging.StreamHandler(sys.stderr)
        ch.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)  # the CLI prints its own one-liners
        ch.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(ch)
    for noisy in ("httpx2", "httpcore2", "anthropic", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    root._streamdoctor_configured = True  # type: ignore[attr-defined]
    return log_path
