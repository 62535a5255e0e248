"""Where the app keeps its files (per-user, per-OS, via platformdirs). Nothing here creates folders eagerly."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "streamdoctor"


def _override(var: str) -> Path | None:
    # STREAMDOCTOR_HOME moves every folder at once: tests and portable installs use it.
    home = os.environ.get("STREAMDOCTOR_HOME")
    return Path(home) / var if home else None


def log_dir() -> Path:
    return _override("logs") or Path(platformdirs.user_log_dir(APP, appauthor=False))


def data_dir() -> Path:
    return _override("data") or Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    return _override("config") or Path(platformdirs.user_config_dir(APP, appauthor=False))


def log_file() -> Path:
    return log_dir() / "streamdoctor.log"
