"""Which watch writes a record: its pid in `<record>.pid`. Small on purpose: the tray imports it at start."""

from __future__ import annotations

import json
import os
from pathlib import Path


def pid_file(db: Path) -> Path:
    return db.with_name(db.name + ".pid")


def running_pid(db: Path) -> int | None:
    """The pid of the watch writing `db`, if one runs (a stale file of a killed watch is ignored)."""
    try:
        pid = int(json.loads(pid_file(db).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    import psutil

    return pid if pid != os.getpid() and psutil.pid_exists(pid) else None
